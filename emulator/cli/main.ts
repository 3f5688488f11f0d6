/** The clonecloud command line. */
import { Command, CommanderError } from 'commander';
import { CloneCloudError } from '../errors';
import { bootCommand } from './boot-command';
import { imagesCommand } from './images-command';
import { profilesCommand } from './profiles-command';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Build the command tree; `exit` receives each command's exit code. */
export function buildProgram(exit: (code: number) => void): Command {
  const program = new Command('clonecloud')
    .description('Boot unmodified ARM Linux programs on a modelled phone; checkpoint and augment it with a clone.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('boot')
    .description('run a phone image (or any static ARM ELF) to the end and report instructions, modelled time and energy')
    .argument('[image]', 'image folder, e.g. images/hello')
    .argument('[args...]', 'arguments for the program (after --), replacing the manifest\'s')
    .option('--elf <file>', 'boot a static ARM ELF instead of an image')
    .option('--root <dir>', 'with --elf: a host folder to serve as the guest\'s root file system (read-only, with a writable layer in memory)')
    .option('-p, --profile <id>', 'device profile (see clonecloud profiles)')
    .option('--profile-file <json>', 'extra device profiles from a JSON file')
    .option('--seed <n>', 'seed for the guest\'s randomness (getrandom, AT_RANDOM)')
    .option('--cwd <path>', 'guest working directory')
    .option('--env <NAME=value>', 'set a guest environment variable (repeatable)', collect)
    .option('--stdin <file>', 'file to serve as the guest\'s standard input (default: empty)')
    .option('--max-instructions <n>', 'stop after about this many instructions (e.g. 50M); exit code 124')
    .option('--json', 'print the run summary as one JSON object on stderr')
    .option('--no-summary', 'print no summary')
    .action((image: string | undefined, args: string[], opts) => exit(bootCommand(image, args, opts)));

  program
    .command('profiles')
    .description('list device profiles (the phones and computers of the CloneCloud paper, and current ones)')
    .option('--profile-file <json>', 'also list the profiles in this JSON file')
    .option('--json', 'machine-readable output')
    .action((opts) => exit(profilesCommand(opts)));

  program
    .command('images')
    .description('list the sample phone images')
    .option('--json', 'machine-readable output')
    .action((opts) => exit(imagesCommand(opts)));

  return program;
}

/** Entry point used by bin/clonecloud. */
export async function main(argv: string[]): Promise<void> {
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
