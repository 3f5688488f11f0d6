x=12; y=5
echo $((x * y)) $((x / y)) $((x % y)) $((x << 3)) $((x ^ y))
integer i=0 s=0
while (( i < 50 )); do (( s += i )); (( i++ )); done
print "s=$s"
typeset -i16 h=255; print $h
