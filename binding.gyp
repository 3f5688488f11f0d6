{
  "targets": [
    {
      "target_name": "cchooks",
      "type": "shared_library",
      "sources": ["native/cchooks.c", "native/page-hash.c", "native/prefault.c", "native/page-bits.c"],
      "include_dirs": ["vendor/unicorn/include"],
      "cflags": ["-O2", "-fPIC", "-Wall", "-Wextra", "-pthread"],
      "libraries": ["-L<(module_root_dir)/vendor/unicorn/lib", "-l:libunicorn.so.2", "-pthread", "-Wl,-rpath,<(module_root_dir)/vendor/unicorn/lib"]
    }
  ]
}
