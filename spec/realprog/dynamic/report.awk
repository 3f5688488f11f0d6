# Group sales by city and item; printf, arrays, gsub, toupper, sprintf.
BEGIN { FS = "," }
$3 ~ /^[0-9]+$/ {
  key = $1 SUBSEP $2
  qty[key] += $3
  sum[$1] += $3 * $4
  n++
}
END {
  for (k in qty) { split(k, p, SUBSEP); line[p[1] "/" p[2]] = qty[k] }
  m = 0
  for (k in line) keys[++m] = k
  for (i = 2; i <= m; i++) { v = keys[i]; j = i - 1; while (j > 0 && keys[j] > v) { keys[j + 1] = keys[j]; j-- } keys[j + 1] = v }
  for (i = 1; i <= m; i++) printf "%-16s %5d\n", keys[i], line[keys[i]]
  for (c in sum) total += sum[c]
  s = "mixed Case text"; gsub(/[aeiou]/, "#", s)
  printf "rows %d total %.2f %s %s %s\n", n, total, toupper(s), sprintf("%05.1f", 3.14159), length(keys)
}
