x=7; y=3
echo $((x * y + 2)) $((x / y)) $((x % y)) $((x ** y)) $(( (x << 4) | y )) $((-x >> 1))
(( z = x > y ? x - y : y - x )); echo "z=$z"
for ((i = 0, s = 0; i <= 100; i++)); do (( s += i * i )); done; echo "sum of squares $s"
printf '%d %05.2f %x %o %e\n' 255 3.14159 255 8 12345.678
let "h = 0x1f + 010"; echo "h=$h"
