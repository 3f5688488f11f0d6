read -r first rest <<< "one two three"
echo "[$first] [$rest]"
while read -r line; do echo "line: $line"; done <<< "a b
c d"
