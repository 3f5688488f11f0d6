cd scratch || exit 9
printf 'one\n' > out.txt; printf 'two\n' >> out.txt
while read -r l; do echo "got $l"; done < out.txt
set -o noclobber
echo clobbered > out.txt; echo "status $?"
echo forced >| out.txt
exec 3< out.txt; read -r -u 3 a; exec 3<&-; echo "fd 3: $a"
mapfile -t lines < f; echo "${#lines[@]} ${lines[0]}"
[[ -s out.txt && -d d && ! -e none ]] && echo tests
cd d && read -r x < inner && echo "$x"
