a=(zero one two three four)
echo "${#a[@]} ${a[2]} ${a[@]:1:3} ${!a[@]}"
a+=(five); unset 'a[1]'; echo "${a[*]}" "${#a[@]}"
declare -A m=([apple]=red [banana]=yellow [cherry]=dark)
for k in apple banana cherry; do printf '%s=%s\n' "$k" "${m[$k]}"; done
m[kiwi]=green; echo "${#m[@]}"
b=(); for ((i = 10; i > 0; i -= 3)); do b+=("n$i"); done; echo "${b[@]}"
