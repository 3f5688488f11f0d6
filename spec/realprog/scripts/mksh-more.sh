# mksh's own builtins and expansions.
typeset -Z5 z=42; typeset -L4 l=abcdef; typeset -R6 r=xy; print "[$z] [$l] [$r]"
s='Hello mksh'; print "${s@#}" "${#s}" "${s:6:4}" "${s//l/L}"
set -A arr -- c a b; set -s; print "${arr[*]}" "${#arr[*]}"
i=0; for w in one two three; do let i+=1; print -r -- "$i:$w"; done
[[ abc123 == +([a-z])+([0-9]) ]] && print extglob
print -n 'no newline'; print
print -- "$((16#ff)) $((2#1010)) $((8#777))"
