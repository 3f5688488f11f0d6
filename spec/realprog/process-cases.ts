/**
 * Processes, threads and signals against qemu-arm: busybox `sh -c` command lines that fork, pipe,
 * wait, trap and execute, a forking shell script, and the C fixtures for pthreads, a SIGSEGV
 * handler and fork/wait/execve (spec/fixtures/). They run over the real-program suite's input
 * folder (spec/support/realprog-inputs.ts) with relative paths; a case that writes does so in
 * scratch/, put back before each side runs.
 *
 * qemu-arm (without a binfmt_misc registration, which a shared machine must not get) hands a
 * guest's execve of an ARM program to the host kernel, which cannot run it. busybox runs many
 * applets without executing anything (its shell, `find -exec`, `xargs` and `timeout` fork and
 * call a NOFORK or NOEXEC applet directly), and those lines are compared with qemu-arm as they
 * are. The others:
 * - `./exec-target` (spec/fixtures/exec-target.c) is, under qemu-arm, `./exec-target.qemu`: a
 *   host script that starts qemu-arm on the same program (the spec writes it);
 * - applets that busybox executes through /proc/self/exe (`env PROG`, `cat`, `wc`, `grep` from
 *   `find -exec` or `xargs`) carry `qemuLine`: a line doing the same without executing, whose
 *   qemu-arm run is the truth.
 */

/** What one case runs. */
export type ProcessRun =
  /** busybox sh -c LINE */
  | { sh: string }
  /** busybox sh SCRIPT (a file of spec/fixtures, copied into the folder's scripts/) */
  | { script: string }
  /** A C program of spec/fixtures, with its arguments. */
  | { fixture: string; args?: string[] };

/** One process-level case, compared on stdout, stderr and exit status. */
export interface ProcessCase {
  /** Short unique name (EXPECTED_TO_PASS lists these). */
  name: string;
  run: ProcessRun;
  /** For `sh` cases that execute busybox again: the line qemu-arm runs instead (see above). */
  qemuLine?: string;
  /** Writes into scratch/, which is put back before each side runs. */
  writes?: boolean;
}

const sh = (name: string, line: string, more: Partial<ProcessCase> = {}): ProcessCase => ({ name, run: { sh: line }, ...more });

/** Pipes, command substitution, redirections and subshells. */
const SHELL: ProcessCase[] = [
  sh('pipe', 'cat text.txt | wc -l'),
  sh('pipe-3', 'sort words.txt | uniq -c | sort -rn | head -n 3'),
  sh('pipe-status', 'false | true; echo "status $?"; true | false; echo "status $?"'),
  sh('pipe-large', 'cat bb | md5sum; cat b200k | gzip -c | gunzip -c | sha256sum'),
  sh('pipe-early-close', 'cat bb | head -c 10 | od -A n -t x1'),
  sh('cmdsubst', 'n=$(wc -l < text.txt); echo "lines: $n"; echo "nested: $(echo $(echo deep))"'),
  sh('cmdsubst-backquote', 'echo `basename tree/src/main.c .c`'),
  sh('cmdsubst-loop', 'for f in $(ls tree/src); do printf "%s " "$f"; done; echo'),
  sh('redirect-out', 'echo hello > scratch/out; echo more >> scratch/out; cat scratch/out', { writes: true }),
  sh('redirect-err', 'ls no-such-file 2>&1 | sed "s/^/err: /"; echo "status $?"'),
  sh('redirect-stderr-only', 'echo to-err 1>&2; echo to-out'),
  sh('redirect-in', 'tr a-z A-Z < left.txt'),
  sh('heredoc', 'cat <<EOF\nline one\n$((6 * 7))\nEOF'),
  sh('fd-dup', 'exec 3>scratch/three; echo via-three >&3; exec 3>&-; cat scratch/three', { writes: true }),
  sh('subshell', '(cd tree && ls); pwd | wc -l; (exit 5); echo "subshell status $?"'),
  sh('subshell-vars', 'x=outer; (x=inner; echo "in: $x"); echo "out: $x"'),
  sh('brace-group-pipe', '{ echo b; echo a; echo c; } | sort'),
  sh('exit-status', 'sh -c "exit 42"; echo "child said $?"'),
  sh('exit-code', 'echo bye; exit 3'),
  sh('nested-sh', 'sh -c "sh -c \\"echo deepest\\" | tr a-z A-Z"'),
];

/** Background jobs, wait, signals and traps. */
const JOBS: ProcessCase[] = [
  sh('background-wait', 'sleep 0.1 & wait $!; echo "waited: $?"'),
  sh('background-status', '(exit 7) & p=$!; wait $p; echo "job status $?"'),
  sh('background-order', '(sleep 0.2; echo second) & (echo first) & wait; echo done'),
  sh('wait-all', 'for i in 1 2 3; do (echo $i > scratch/job$i) & done; wait; cat scratch/job1 scratch/job2 scratch/job3', { writes: true }),
  sh('trap-usr1', 'trap "echo got USR1" USR1; kill -USR1 $$; echo after'),
  sh('trap-exit', 'trap "echo exiting" EXIT; echo body; exit 4'),
  sh('trap-term-child', 'sh -c "trap \\"echo child got TERM; exit 9\\" TERM; kill -TERM \\$\\$; echo not here"; echo "status $?"'),
  // The shell's "Terminated" notice races with the kill on Linux (and under qemu-arm): kept out.
  sh('kill-child', '{ sleep 5 & p=$!; kill $p; wait $p; echo "status $?"; } 2>/dev/null'),
  sh('kill-0', 'kill -0 $$ && echo "I exist"'),
  sh('timeout-expires', 'timeout 1 sleep 3; echo "status $?"'),
  sh('timeout-in-time', 'timeout 5 echo quick; echo "status $?"'),
  sh('timeout-signal', 'timeout -s KILL 1 sleep 3; echo "status $?"'),
  sh('self-kill', 'kill -TERM $$; echo unreachable'),
  sh('stop-cont', 'sleep 1 & p=$!; kill -STOP $p; sleep 2; kill -CONT $p; wait $p; echo "status $?"'),
];

/** Programs that start programs: find -exec, xargs, env. */
const SPAWN: ProcessCase[] = [
  sh('find-exec', 'find tree -name "*.h" -exec md5sum {} \\;'),
  sh('find-exec-plus', 'find tree/src -name "*.c" -exec stat -c "%n %s" {} + | sort'),
  sh('find-exec-test', 'find tree -type f -exec test -s {} \\; -print | sort; echo "status $?"'),
  sh('find-exec-wc', 'find tree -name "*.h" -exec wc -c {} \\;', { qemuLine: 'wc -c tree/src/util.h' }),
  sh('xargs', 'printf "a\\nb\\nc\\n" | xargs echo items:'),
  sh('xargs-n', 'seq 1 7 | xargs -n 3 echo'),
  sh('xargs-files', 'find tree/docs -type f -name "*.txt" | xargs md5sum'),
  sh('xargs-wc', 'echo text.txt people.txt | xargs wc -l', { qemuLine: 'wc -l text.txt people.txt' }),
  sh('env-applet', 'env FOO=bar printenv FOO', { qemuLine: 'FOO=bar printenv FOO' }),
  sh('env-program', 'FORKING_VAR=from-env env ./exec-target x "y z"; echo "status $?"'),
  sh('env-clear', 'env -i FORKING_VAR=alone ./exec-target'),
  sh('exec-program', 'exec ./exec-target replaced'),
  sh('env-missing', 'env no-such-program; echo "status $?"'),
];

/** The forking script and the C fixtures. */
const PROGRAMS: ProcessCase[] = [
  { name: 'script-forking', run: { script: 'forking.sh' } },
  { name: 'pthreads', run: { fixture: 'pthreads' } },
  { name: 'stop-continue', run: { fixture: 'stop-continue' } },
  { name: 'segv-handler', run: { fixture: 'segv-handler' } },
  { name: 'forking', run: { fixture: 'forking', args: ['./exec-target'] } },
];

/** Every case, in the order they run. */
export const PROCESS_CASES: ProcessCase[] = [...SHELL, ...JOBS, ...SPAWN, ...PROGRAMS];

/**
 * Cases whose qemu-arm run is no truth here, with why. qemu-arm in this setting cannot execute an
 * ARM program (no binfmt_misc), so what busybox does after an exec differs there.
 */
export const QEMU_NOT_COMPARABLE: Record<string, string> = {
  'timeout-expires':
    "busybox 1.35's timeout has a daemonised grandchild kill its grandparent, which has become the command: the shell sees 143, as on Linux; under qemu-arm that re-exec fails and its fallback reports 124",
  'env-applet': "env runs printenv through execvp and the test root has no printenv program (exit 127); under qemu-arm the host's printenv answers",
  'xargs-wc': "busybox's wc pads its counts; under qemu-arm the re-exec of busybox fails and the host's own wc (GNU coreutils), which does not pad, answers",
};

/** The cases that match qemu-arm under clonecloud: every one whose qemu-arm run is a truth. */
export const EXPECTED_TO_PASS: string[] = PROCESS_CASES.map((c) => c.name).filter((n) => !(n in QEMU_NOT_COMPARABLE));
