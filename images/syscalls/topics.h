/*
 * The checks, one file per topic. main() runs them in a fixed order, which
 * is the order of the output lines.
 */
#ifndef SYSCALLS_TOPICS_H
#define SYSCALLS_TOPICS_H

/* identity.c */
void test_identity(void);
void test_system(void);

/* process.c */
void test_process(void);

/* memory.c */
void test_brk(void);
void test_anon_memory(void);
void test_file_mapping(void);

/* time.c */
void test_time(void);

/* files.c */
void test_files(void);
void test_files_more(void);

/* dirs.c */
void test_dirs(void);
void test_dirs_more(void);

#endif
