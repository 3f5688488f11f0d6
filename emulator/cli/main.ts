/** The clonecloud command line. */
import { Command, CommanderError } from 'commander';
import { CloneCloudError } from '../errors';
import { benchCommand } from './bench-command';
import { partitionCommand } from './partition-command';
import { bootCommand } from './boot-command';
import { clonesCommand, cloneServeCommand } from './clone-command';
import { checkpointsCommand, diffCommand, pruneCommand, restoreCommand, verifyCommand } from './checkpoint-commands';
import { difftestCommand } from './difftest-command';
import { randomDifftestCommand } from './difftest-random-command';
import { imagesCommand } from './images-command';
import { linksCommand } from './links-command';
import { profilesCommand } from './profiles-command';
import { rootfsAddCommand, rootfsListCommand } from './rootfs-command';
import { syscallsCommand } from './syscalls-command';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Build the command tree; `exit` receives each command's exit code. */
export function buildProgram(exit: (code: number) => void): Command {
  const program = new Command('clonecloud')
    .description('Boot unmodified ARM Linux programs on a modelled phone; checkpoint and augment it with a clone.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('boot')
    .description('run a phone image (or any ARM ELF) to the end and report instructions, modelled time and energy')
    .argument('[image]', 'image folder, e.g. images/hello')
    .argument('[args...]', "arguments for the program (after --), replacing the manifest's")
    .option(
      '--elf <file>',
      'boot an ARM ELF instead of an image: static, or dynamically linked with its loader and libraries in --root (a regular file of at most 1 GiB)',
    )
    .option('--root <dir>', "with --elf: a host folder to serve as the guest's root file system (read-only, with a writable layer in memory)")
    .option('-p, --profile <id>', 'device profile (see clonecloud profiles)')
    .option('--profile-file <json>', 'extra device profiles from a JSON file')
    .option('--seed <n>', "seed for the guest's randomness (getrandom, AT_RANDOM)")
    .option('--cwd <path>', "guest working directory: an absolute path to an existing directory of the guest's tree")
    .option('--env <NAME=value>', 'set a guest environment variable (repeatable; NAME must not be empty)', collect)
    .option('--stdin <file>', "file to serve as the guest's standard input (default: the host's standard input; /dev/null for none)")
    .option('--max-instructions <n>', 'stop after about this many instructions (e.g. 50M; at most 2^63-1); exit code 124, shown in the summary')
    .option('--checkpoint-every <n>', 'take a checkpoint every n instructions (e.g. 50M); needs --store')
    .option('--checkpoint-at <n,...>', 'take checkpoints at these instruction counts (e.g. 120M,300M); needs --store')
    .option('--store <dir>', 'checkpoint store folder (created when missing); SIGUSR1 to the process takes a checkpoint on demand')
    .option('--clone <host:port>', "keep a clone's mirror of this phone current (see clonecloud clone serve); SIGUSR1 also syncs")
    .option('--token-file <file>', 'with --clone: the shared token the clone was started with')
    .option('--phone-id <id>', "with --clone: this phone's name on the clone (default: host name and image name)")
    .option('--link <id>', 'with --clone: the link to the clone (see clonecloud links; default wifi-2009; the opportunistic policy reads it from the timeline)')
    .option('--sync-policy <name>', 'with --clone: periodic (default), on-demand or opportunistic')
    .option('--sync-every <period>', 'with --clone: modelled time (2s, 500ms) or instructions (50M) between syncs (default 2s)')
    .option(
      '--sync-wait',
      'with --clone: the phone waits for each sync (its modelled time includes the transfers; which points sync does not depend on the host)',
    )
    .option(
      '--sync-files-every <period>',
      'with --clone: sync the files alone this often, between full syncs (periodic and opportunistic; default: only with them)',
    )
    .option(
      '--offload <function>',
      'with --clone: run calls to this function (ELF symbol or 0x address; repeatable, or comma-separated) on the clone; auto: the partitioner picks',
      collect,
    )
    .option(
      '--phone-only <path>',
      "with --offload: a guest path only the phone has (added to the image's); a call that uses it comes back (repeatable)",
      collect,
    )
    .option('--objective <what>', 'with --offload auto: minimise time (default) or energy')
    .option('--clone-profile <id>', "with --offload auto: the clone's device profile to plan for (default dell-t7400)")
    .option('--offload-timeout <seconds>', 'with --offload: how long to wait for the clone to run one call (default 1800)')
    .option('--phone-timeline <file>', 'with --sync-policy opportunistic: when the phone has which link and is charging (JSON)')
    .option('--staleness <time>', 'with --sync-policy opportunistic: sync on a cellular link once the mirror is this old (default 60s)')
    .option('--json', 'print the run summary as one JSON object on stderr')
    .option('--no-summary', 'print no summary')
    .option('--report <file>', 'at the end, write the run report: one self-contained HTML page (lanes of phone, link and clone; energy over time; figures)')
    .action(async (image: string | undefined, args: string[], opts) => exit(await bootCommand(image, args, opts)));

  program
    .command('partition')
    .description('profile a program on the phone and on the clone, and say which functions to offload over a link (and what it would save)')
    .argument('[image]', 'image folder, e.g. images/virusscan')
    .argument('[args...]', "arguments for the program (after --), replacing the manifest's")
    .option('--elf <file>', 'an ARM ELF instead of an image (static, or dynamically linked with --root)')
    .option('--root <dir>', "with --elf: a host folder to serve as the guest's root file system")
    .option('--phone <id>', "the phone's device profile (default: the image's)")
    .option('--clone <id>', "the clone's device profile (default dell-t7400)")
    .option('--link <id>', 'the link between them (see clonecloud links; default wifi-2009)')
    .option('--objective <what>', 'minimise time (default) or energy')
    .option('--candidates <function>', "functions to consider (symbol or 0x address; repeatable, or comma-separated; default: the program's own)", collect)
    .option('--phone-only <path>', "a guest path only the phone has, besides the image's (repeatable)", collect)
    .option('--seed <n>', "seed for the guest's randomness")
    .option('--json', 'print the plan as JSON')
    .action(async (image: string | undefined, args: string[], opts) => exit(await partitionCommand(image, args, opts)));

  program
    .command('checkpoints')
    .description('list the checkpoints in a store: id, parent, instructions, resident memory, new pages and bytes, dedup')
    .requiredOption('--store <dir>', 'checkpoint store folder')
    .option('--json', 'machine-readable output')
    .action(async (opts) => exit(await checkpointsCommand(opts)));

  program
    .command('restore')
    .description("resume a checkpoint and run it to the end (exit code: the guest's)")
    .argument('<id>', 'checkpoint id, an unambiguous prefix of one, or a sequence number (see clonecloud checkpoints)')
    .requiredOption('--store <dir>', 'checkpoint store folder')
    .option('-p, --profile <id>', 'run on another device profile (where the memory fits)')
    .option('--profile-file <json>', 'extra device profiles from a JSON file')
    .option('--stdin <file>', "standard input from here on (default: the host's standard input)")
    .option('--max-instructions <n>', 'stop at this total instruction count; exit code 124')
    .option('--checkpoint-every <n>', 'keep checkpointing into the same store every n instructions')
    .option('--checkpoint-at <n,...>', 'keep checkpointing at these instruction counts')
    .option('--json', 'print the run summary as one JSON object on stderr')
    .option('--no-summary', 'print no summary')
    .action(async (id: string, opts) => exit(await restoreCommand(id, opts)));

  program
    .command('diff')
    .description('what changed between two checkpoints: pages by region, registers, files, instructions and modelled time')
    .argument('<idA>')
    .argument('<idB>')
    .requiredOption('--store <dir>', 'checkpoint store folder')
    .option('--json', 'machine-readable output')
    .action(async (a: string, b: string, opts) => exit(await diffCommand(a, b, opts)));

  program
    .command('verify')
    .description('re-hash every stored page and check every checkpoint; exit code 1 when anything is damaged')
    .requiredOption('--store <dir>', 'checkpoint store folder')
    .option('--json', 'machine-readable output')
    .action(async (opts) => exit(await verifyCommand(opts)));

  program
    .command('prune')
    .description('delete checkpoints and reclaim the pages no remaining checkpoint uses')
    .argument('<id...>', 'checkpoint ids')
    .requiredOption('--store <dir>', 'checkpoint store folder')
    .option('--json', 'machine-readable output')
    .action(async (ids: string[], opts) => exit(await pruneCommand(ids, opts)));

  program
    .command('bench')
    .description(
      "run an experiment: fsscan = the paper's GC-heavy file scan on the phone and on the clone, one advantage at a time; " +
        'offload = the sample apps on the phone alone and with --offload auto over each link; ' +
        'cores = the parallel image on one device with 1, 2, 4, 8 and 16 cores',
    )
    .argument('<name>', 'benchmark name (fsscan, offload, cores)')
    .option('--entries <n>', 'entries in the synthesized tree (default 100000, as in the paper)')
    .option('--runtime <name>', "fsscan: c (default; the C scan with its own collector) or lua (the scan in Debian's Lua 5.4, beside the C scan)")
    .option('--profiles <ids>', 'comma-separated profiles to compare instead of the phone-to-clone ladder')
    .option('--phone <id>', 'the phone of the ladder (default htc-g1)')
    .option('--clone <id>', 'the clone of the ladder (default clone-2009); offload: the clone profile (default dell-t7400)')
    .option('--profile-file <json>', 'extra device profiles from a JSON file')
    .option('--apps <names>', 'offload: comma-separated sample apps (default virusscan,imagesearch,behavior)')
    .option('--sizes <names>', 'offload: comma-separated input sizes (default small,medium,large)')
    .option('--links <ids>', 'offload: comma-separated links (default wifi-2009,3g-2009)')
    .option('--objective <what>', 'offload: what the partitioner minimises, time (default) or energy')
    .option('--cores <counts>', 'cores: comma-separated core counts (default 1,2,4,8,16)')
    .option('--cores-profile <id>', 'cores: the device whose core count varies (default dell-t7400)')
    .option('--out <dir>', 'where to write results.json and chart.svg (default bench-results/fsscan-<entries>, bench-results/offload, bench-results/cores)')
    .option('--json', 'print the results as JSON')
    .action(async (name: string, opts) => exit(await benchCommand(name, opts)));

  program
    .command('difftest')
    .description('run a static ARM program under clonecloud and under qemu-arm (its gdbstub) and report the first instruction where registers or stores differ')
    .argument('[args...]', 'arguments for the program (after --)')
    .requiredOption('--elf <file>', 'the static ARM ELF to compare')
    .option('--root <dir>', 'host folder the program sees as / (qemu-arm gets it as -L and runs in it)')
    .option('--cwd <path>', 'guest working directory (default /)')
    .option('--env <NAME=value>', 'environment variable, the same on both sides (repeatable; default: none)', collect)
    .option('--stdin <file>', 'standard input on both sides (default: empty)')
    .option('--seed <n>', "seed of clonecloud's randomness and of qemu-arm's -seed (default 1)")
    .option('-p, --profile <id>', "device profile of clonecloud's side")
    .option('--profile-file <json>', 'extra device profiles from a JSON file')
    .option('--step-window <n>', 'windows up to this many instructions are stepped one by one (default 2000)')
    .option('--max-instructions <n>', 'compare only the first n instructions (e.g. 500M)')
    .option('--no-it-state-fix', "turn off clonecloud's workaround for libunicorn 2.1.4's stale Thumb IT state (shows the bug it fixes)")
    .option('--quiet', 'no progress lines')
    .option('--json', 'the report as JSON')
    .action(async (args: string[], opts) => exit(await difftestCommand(args, opts)));

  program
    .command('difftest-random')
    .description(
      'run random ARM, Thumb-2, VFP and NEON instruction sequences under clonecloud and qemu-arm and compare the state after each (exit code 1 on a difference)',
    )
    .option('--seed <n>', 'seed of the generator (default 1)')
    .option('--sequences <n>', 'sequences in all, shared by the categories (default 10000)')
    .option('--categories <list>', 'comma-separated: arm, thumb, vfp, neon (default all)')
    .option('--length <n>', 'instructions per sequence (default 20)')
    .option('--per-program <n>', 'sequences per generated program (default 250)')
    .option('--max-divergences <n>', 'stop after this many differences (default 1)')
    .option('--json', 'the summary as JSON')
    .action((opts) => exit(randomDifftestCommand(opts)));

  program
    .command('profiles')
    .description('list device profiles (the phones and computers of the CloneCloud paper, and current ones)')
    .option('--profile-file <json>', 'also list the profiles in this JSON file')
    .option('--json', 'machine-readable output')
    .action((opts) => exit(profilesCommand(opts)));

  program
    .command('links')
    .description('list link profiles (3G and Wi-Fi of 2009, LTE, 5G, Ethernet): bandwidth, RTT, radio power states and tails')
    .option('--json', 'machine-readable output, with the source of every figure')
    .action((opts) => exit(linksCommand(opts)));

  const clone = program.command('clone').description('the clone: a server that keeps an exact mirror of each phone that syncs to it');
  clone
    .command('serve')
    .description("accept phones over TCP and keep each one's mirror in a checkpoint store; SIGTERM or SIGINT stops it cleanly")
    .requiredOption('--listen <host:port>', 'address to listen on, e.g. 127.0.0.1:7700 or [::1]:7700 (port 0: any free port)')
    .requiredOption('-p, --profile <id>', 'device profile of the clone (see clonecloud profiles), e.g. dell-t7400')
    .option('--profile-file <json>', 'extra device profiles from a JSON file')
    .requiredOption('--store <dir>', 'folder of the mirrors (created when missing; reopened at the last complete sync)')
    .requiredOption('--token-file <file>', 'shared token (mode 0600); created with a random token when missing')
    .option('--json-log', 'log one JSON object per line instead of text')
    .action(async (opts) => exit(await cloneServeCommand(opts)));

  program
    .command('clones')
    .description('list the phones a clone mirrors: last sync, pages, bytes received, memory hash')
    .requiredOption('--clone <host:port>', 'address of the clone, e.g. 127.0.0.1:7700')
    .requiredOption('--token-file <file>', "the clone's shared token (mode 0600)")
    .option('--json', 'machine-readable output')
    .action(async (opts) => exit(await clonesCommand(opts)));

  program
    .command('syscalls')
    .description('list the syscalls of the ARM EABI with what the kernel layer serves of each: supported, partial (with what is missing) or not supported')
    .option('--json', 'machine-readable output')
    .action((opts) => exit(syscallsCommand(opts)));

  program
    .command('images')
    .description('list the sample phone images')
    .option('--json', 'machine-readable output')
    .action((opts) => exit(imagesCommand(opts)));

  const rootfs = program.command('rootfs').description("root folders built from Debian's armhf packages (for --root and image manifests)");
  rootfs
    .command('add')
    .description(
      'download Debian armhf packages with their dependencies and unpack them into a root folder (only what it lacks; maintainer scripts are not run)',
    )
    .argument('<dir>', 'the root folder (created when missing)')
    .argument('<package...>', 'Debian package names, e.g. lua5.4 python3.11')
    .option('--cache <dir>', 'the .deb cache shared by all roots (default $XDG_CACHE_HOME/clonecloud/debs or ~/.cache/clonecloud/debs)')
    .option('--refresh-index', 'refresh the package index even when it is less than a day old')
    .option('--quiet', 'no progress lines')
    .option('--json', 'print what was added as JSON')
    .action(async (dir: string, packages: string[], opts) => exit(await rootfsAddCommand(dir, packages, opts)));
  rootfs
    .command('list')
    .description('list the packages a root folder holds: version, architecture, requested or a dependency')
    .argument('<dir>', 'the root folder')
    .option('--json', 'the manifest as JSON')
    .action((dir: string, opts) => exit(rootfsListCommand(dir, opts)));

  return program;
}

/**
 * A listing piped into `head` loses its reader early. Node ignores SIGPIPE and reports the broken
 * pipe as an 'error' event, which would end the command with a stack trace; end it the way a
 * program killed by SIGPIPE ends (status 128 + 13), with nothing printed.
 */
function endQuietlyWhenStdoutCloses(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(128 + 13);
  });
}

/** Entry point used by bin/clonecloud. */
export async function main(argv: string[]): Promise<void> {
  endQuietlyWhenStdoutCloses();
  let code = 0;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    if (e instanceof CloneCloudError) {
      process.stderr.write(`clonecloud: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
  process.exitCode = code;
}
