-- A managed-runtime workload: tables, strings, closures, sorting, pattern matching and the
-- collector. Deterministic: prints checksums only.
local N = tonumber(arg and arg[1]) or 20000

local function lcg(seed)
  local s = seed
  return function()
    s = (s * 1103515245 + 12345) % 2147483648
    return s
  end
end

local rnd = lcg(42)
local words = {}
for i = 1, N do
  local n = rnd() % 9 + 3
  local t = {}
  for j = 1, n do t[j] = string.char(97 + rnd() % 26) end
  words[i] = table.concat(t)
end

local counts = {}
for _, w in ipairs(words) do counts[w:sub(1, 2)] = (counts[w:sub(1, 2)] or 0) + 1 end
local keys = {}
for k in pairs(counts) do keys[#keys + 1] = k end
table.sort(keys)
local h = 0
for _, k in ipairs(keys) do h = (h * 31 + counts[k] + #k) % 1000000007 end
print("prefixes", #keys, h)

table.sort(words, function(a, b) if #a ~= #b then return #a < #b end return a < b end)
print("sorted", words[1], words[#words], words[N // 2])

local vowels = 0
for _, w in ipairs(words) do
  for _ in w:gmatch("[aeiou]") do vowels = vowels + 1 end
end
print("vowels", vowels)

-- Garbage: many short-lived tables and strings.
local live = {}
for i = 1, N * 5 do
  local node = { id = i, name = string.format("n%07d", i), next = live[(i % 64) + 1] }
  live[(i % 64) + 1] = node
  if i % 1000 == 0 then collectgarbage("step", 0) end
end
local depth = 0
local p = live[1]
while p do depth = depth + 1; p = p.next end
print("chain", depth)

local fib
fib = function(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print("fib", fib(22))
print(string.format("float %.6f", math.sqrt(2) * math.pi))
