-- fsscan.lua: the file scan of images/fsscan in a managed runtime, Debian's Lua 5.4 with
-- LuaFileSystem. It walks a directory tree, reads the head of every regular file through a
-- buffered read, and keeps an index of everything it saw in Lua's garbage-collected heap.
--
-- The heap is bounded the way Android bounded Dalvik's: the limit is the RAM /proc/meminfo
-- reports divided by 12, clamped to [16, 256] MiB (FSSCAN_HEAP_MB replaces the rule). Lua's own
-- incremental collector is stopped; a full collection runs whenever the heap (as
-- collectgarbage("count") measures it) reaches the limit, as Dalvik collected when an allocation
-- did not fit. Before collecting, the rule is applied again, so a scan that finds itself on a
-- machine with more RAM (the clone) grows its heap instead. Out of memory (the heap still full
-- after a collection) ends the scan with status 3.
--
-- Usage: lua5.4 fsscan.lua [dir]   (default /sdcard)
-- stdout: the same summary line as the C scan (images/fsscan/fsscan.c), checksum included, so
-- the two variants can be compared on the same tree.
-- stderr: the heap limit and how it was chosen, each raise, and the collector's figures in the
-- C scan's format (gc collections, heap_limit, gc_cpu_ns, total_cpu_ns).

local lfs = require("lfs")

local MiB = 1024 * 1024
local FIRST_BYTES = 64 -- bytes of each file that are hashed
local BUFFER = 8192 -- a BufferedInputStream's buffer: what one read of a file takes
local TOP_N = 10

local root = arg[1] or "/sdcard"
if #arg > 1 or root == "" then
  io.stderr:write("usage: lua5.4 fsscan.lua [dir]   (default /sdcard)\n")
  os.exit(2)
end

-- Heap sizing ----------------------------------------------------------------------------

local function memtotal_kb()
  local f = io.open("/proc/meminfo", "r")
  if not f then return 0 end
  local text = f:read("a")
  f:close()
  return tonumber(text:match("MemTotal:%s*(%d+) kB")) or 0
end

local function limit_from_ram()
  local kb = memtotal_kb()
  local mb = math.max(16, math.min(256, (kb // 1024) // 12))
  return mb * MiB, string.format("MemTotal %d kB: %d MB RAM / 12, clamped to [16, 256] MB", kb, kb // 1024)
end

local fixed = os.getenv("FSSCAN_HEAP_MB")
local limit, why
if fixed and fixed ~= "" then
  local mb = tonumber(fixed)
  if not mb or mb <= 0 or mb > 2048 then
    io.stderr:write("fsscan: FSSCAN_HEAP_MB must be a number in (0, 2048]\n")
    os.exit(2)
  end
  limit, why = math.floor(mb * MiB), "FSSCAN_HEAP_MB=" .. fixed
else
  limit, why = limit_from_ram()
end
io.stderr:write(string.format("fsscan: heap limit %d bytes (%s)\n", limit, why))

collectgarbage("stop")
local collections, raises, gc_seconds, high_water = 0, 0, 0.0, 0

-- Called after each allocation-heavy step: collect when the heap has reached its limit.
local function heap_check()
  local used = collectgarbage("count") * 1024
  if used > high_water then high_water = used end
  if used < limit then return end
  if not fixed then
    local now, reason = limit_from_ram()
    if now > limit then
      limit = math.min(now, 256 * MiB)
      raises = raises + 1
      io.stderr:write(string.format("fsscan: heap limit raised to %d bytes (%s)\n", limit, reason))
      if used < limit then return end
    end
  end
  local t0 = os.clock()
  collectgarbage("collect")
  gc_seconds = gc_seconds + (os.clock() - t0)
  collections = collections + 1
  if collectgarbage("count") * 1024 >= limit then
    io.stderr:write(string.format("fsscan: out of memory: %d bytes live after a collection, limit %d\n", math.floor(collectgarbage("count") * 1024), limit))
    os.exit(3)
  end
end

-- FNV-1a, 32 bits -------------------------------------------------------------------------

local FNV_BASIS, FNV_PRIME = 2166136261, 16777619

local byte = string.byte

-- Bytes are taken 64 at a time into a short-lived table, as a Java loop over a byte[] would.
local function fnv(h, s)
  local n = #s
  for i = 1, n, 64 do
    local chunk = { byte(s, i, math.min(i + 63, n)) }
    for j = 1, #chunk do h = ((h ~ chunk[j]) * FNV_PRIME) & 0xffffffff end
  end
  return h
end

-- The scan -------------------------------------------------------------------------------

local n_entries, n_dirs, n_files, n_bytes = 0, 0, 0, 0
-- Every regular file, in two parallel arrays: its path, and its size and head hash packed into
-- one integer (size << 32 | hash), which keeps the index about as large as the C scan's.
local paths, metas = {}, {}
local exts = {} -- extension -> { count, bytes }
local top = {} -- the TOP_N largest files, largest first: { path, size }

local function head_hash(path)
  local f = io.open(path, "rb")
  if not f then
    io.stderr:write("fsscan: opening '" .. path .. "': cannot open\n")
    return FNV_BASIS
  end
  local buffer = f:read(BUFFER) or ""
  f:close()
  return fnv(FNV_BASIS, buffer:sub(1, FIRST_BYTES))
end

local function extension(name)
  local dot = name:match("^.*()%.")
  if not dot or dot == 1 then return "" end
  return name:sub(dot + 1)
end

local function before(a, b)
  if a.size ~= b.size then return a.size > b.size end
  return a.path < b.path
end

local function note_top(r)
  if #top == TOP_N and not before(r, top[TOP_N]) then return end
  local i = math.min(#top + 1, TOP_N)
  top[i] = r
  while i > 1 and before(top[i], top[i - 1]) do
    top[i], top[i - 1] = top[i - 1], top[i]
    i = i - 1
  end
end

local function index_file(rel, name, size, hash)
  local n = #paths + 1
  paths[n] = rel
  metas[n] = size << 32 | hash
  local ext = extension(name)
  local e = exts[ext]
  if not e then
    e = { count = 0, bytes = 0 }
    exts[ext] = e
  end
  e.count = e.count + 1
  e.bytes = e.bytes + size
  if #top < TOP_N or size >= top[#top].size then note_top({ path = rel, size = size }) end
end

-- Directories still to scan, last in first out, as paths relative to the root.
local pending = { next = nil, path = "" }

local function scan_dir(rel)
  local dir = rel == "" and root or root .. "/" .. rel
  local names = {}
  local ok, iter, state = pcall(lfs.dir, dir)
  if not ok then
    io.stderr:write("fsscan: opening directory '" .. dir .. "': " .. tostring(iter) .. "\n")
    return
  end
  for name in iter, state do
    if name ~= "." and name ~= ".." then names[#names + 1] = name end
  end
  for _, name in ipairs(names) do
    local child = rel == "" and name or rel .. "/" .. name
    local attr = lfs.symlinkattributes(dir .. "/" .. name)
    if not attr then
      io.stderr:write("fsscan: stat '" .. child .. "': vanished\n")
    else
      n_entries = n_entries + 1
      if attr.mode == "directory" then
        n_dirs = n_dirs + 1
        pending = { next = pending, path = child }
      elseif attr.mode == "file" then
        n_files = n_files + 1
        n_bytes = n_bytes + attr.size
        index_file(child, name, attr.size, head_hash(dir .. "/" .. name))
      end
    end
    heap_check()
  end
end

-- Scan the tree into the index: all of the heavy work, in one function.
local function scan_tree()
  if lfs.attributes(root, "mode") ~= "directory" then
    io.stderr:write("fsscan: cannot open directory '" .. root .. "'\n")
    os.exit(2)
  end
  while pending do
    local rel = pending.path
    pending = pending.next
    scan_dir(rel)
  end
end

-- The index checksum, exactly as the C scan defines it (images/fsscan/index.c).
local function index_checksum()
  local h = FNV_BASIS
  local names = {}
  for name in pairs(exts) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    h = fnv(h, string.format("ext %s %d %d\n", name, exts[name].count, exts[name].bytes))
  end
  for _, r in ipairs(top) do h = fnv(h, string.format("top %s %d\n", r.path, r.size)) end
  local order = {}
  for i = 1, #paths do order[i] = i end
  table.sort(order, function(a, b) return paths[a] < paths[b] end)
  for _, i in ipairs(order) do
    local m = metas[i]
    h = fnv(h, string.format("file %s %d %08x\n", paths[i], m >> 32, m & 0xffffffff))
  end
  return h
end

scan_tree()
local heap_bytes = math.floor(collectgarbage("count") * 1024)
local checksum = index_checksum()
print(string.format("fsscan: entries %d dirs %d files %d bytes %d index %08x", n_entries, n_dirs, n_files, n_bytes, checksum))
io.stdout:flush()
local total = os.clock()
io.stderr:write(string.format("fsscan: gc collections %d heap_bytes %d heap_high_water %d heap_limit %d heap_raises %d\n", collections, heap_bytes, math.floor(high_water), limit, raises))
io.stderr:write(string.format("fsscan: gc_cpu_ns %d total_cpu_ns %d gc_share %.1f%%\n", math.floor(gc_seconds * 1e9), math.floor(total * 1e9), total > 0 and 100 * gc_seconds / total or 0))
