# Text processing in Perl: regexes, hashes, sort, sprintf, pack.
use strict;
use warnings;
my %count;
my $total = 0;
while (my $line = <STDIN>) {
  chomp $line;
  my ($city, $item, $qty, $price) = split /,/, $line;
  next unless defined $price && $qty =~ /^\d+$/;
  $count{$city}{n}++;
  $count{$city}{sum} += $qty * $price;
  $total += $qty;
}
for my $city (sort { $count{$b}{sum} <=> $count{$a}{sum} || $a cmp $b } keys %count) {
  printf "%-10s %4d %12.2f\n", $city, $count{$city}{n}, $count{$city}{sum};
}
my $packed = pack("NnC", $total, 513, 7);
print "total $total packed ", unpack("H*", $packed), "\n";
my $s = "The quick brown fox jumps over the lazy dog";
(my $t = $s) =~ s/(\w+)/\u\L$1/g;
print "$t\n", join(",", map { length } split / /, $s), "\n";
print "sorted: @{[ sort { $a <=> $b } (10, 9, 100, 1, 55) ]}\n";
