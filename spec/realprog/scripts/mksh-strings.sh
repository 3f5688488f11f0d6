set -A a zero one two three
print ${#a[*]} ${a[2]} "${a[@]}"
s="Hello, mksh world"
typeset -u up="$s"; typeset -l lo="$s"
print -- "${#s}" "$up" "$lo" "${s#*, }" "${s%% *}" "${s/world/there}"
f() { typeset v=$1; print "f:$v:$#"; return 4; }
f x y; print "rc=$?"
read -r w1 w2 <<< "here string"
print "$w2 $w1"
