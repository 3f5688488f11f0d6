fact() { if (( $1 <= 1 )); then r=1; else fact $(( $1 - 1 )); (( r *= $1 )); fi; }
fact 12; echo "12! = $r"
fib() { local a=0 b=1 i; for ((i = 0; i < $1; i++)); do local t=$((a + b)); a=$b; b=$t; done; echo $a; }
fib 40
greet() { local who=${1:-world}; echo "hello, $who ($#)"; return 3; }
greet; echo "status $?"; greet there 2 3
count() { local n=0; for x in "$@"; do ((n++)); done; echo $n; }
count a "b c" d
