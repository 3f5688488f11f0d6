s="The quick brown fox jumps over the lazy dog"
echo "${#s}" "${s:4:5}" "${s: -3}" "${s^^}" "${s,,}"
echo "${s/quick/slow}" "|" "${s//o/0}" "|" "${s#* }" "|" "${s##* }" "|" "${s%% *}"
p=/usr/local/lib/libfoo.so.1.2; echo "${p##*/}" "${p%/*}" "${p%%.*}"
if [[ $s =~ (b[a-z]+)\ (f[a-z]+) ]]; then echo "${BASH_REMATCH[1]}-${BASH_REMATCH[2]}"; fi
case "$p" in *.so.*) echo shared;; *) echo other;; esac
printf -v padded '%-8s|%8s|' left right; echo "$padded"
