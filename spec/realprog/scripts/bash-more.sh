# Expansions, options and builtins that need no other process.
echo {1..10..3} {a..e} x{y,z}w
set -- alpha "beta gamma" delta; echo "$#" "$2" "${@: -1}"
shift; echo "$*"
s="a:b::d"; IFS=:; parts=($s); unset IFS; echo "${#parts[@]}" "${parts[3]}"
shopt -s extglob; f=report.final.txt
echo "${f%%+(.*)}" "${f##*.}"; [[ $f == *.@(txt|md) ]] && echo text-like
declare -i n=7; n+=5; declare -r ro=1; echo "$n"; declare -p n ro
printf '%q\n' "it's a \$test"
v='quoted value'; echo "${v@Q}" "${v@U}"
ref() { local -n target=$1; target=changed; }; w=orig; ref w; echo "$w"
RANDOM=42; echo "$RANDOM $RANDOM $RANDOM"
while getopts "ab:c" opt -a -b val -c; do echo "opt $opt ${OPTARG:-}"; done
type echo; type -t ref
x=; echo "${x:-default}" "${y:=assigned}" "$y" "${#y}"
