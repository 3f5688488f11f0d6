cd scratch || exit 9
print one > out.txt; print two >> out.txt
while read -r l; do print "got $l"; done < out.txt
set -o noclobber
print clobbered > out.txt; print "status $?"
print forced >| out.txt
exec 3< out.txt; read -r -u3 a; exec 3<&-; print "fd 3: $a"
[[ -s out.txt && -d d && ! -e none ]] && print tests
