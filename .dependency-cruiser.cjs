/**
 * The layers of emulator/, enforced: `npm run lint:deps`.
 *
 * Top to bottom: cli -> report -> experiments -> runtime (clone, link) -> difftest -> store -> snapshot ->
 * machine -> kernel -> vfs / elf / unicorn / memory -> model -> abi, with emulator/errors.ts and
 * emulator/persist.ts as the base every layer may use. image/ (image manifests) sits above the
 * machine and below the run session, beside difftest, store and snapshot, which do not use it. A layer imports only
 * from the layers below it (and from its own folder); there are no import cycles. Each layer's rule
 * is named `layer-<name>` and says what that layer may import, so a violation names both the rule
 * and the offending import. To add a folder under emulator/, give it a place in LAYERS.
 */

/** Each layer (a folder of emulator/) and the folders below it that it may import. */
const LAYERS = {
  cli: 'report experiments runtime clone link image difftest store snapshot machine kernel vfs elf unicorn memory model abi',
  // The run report: a page drawn from what a run reports.
  report: 'experiments runtime clone link image difftest store snapshot machine kernel vfs elf unicorn memory model abi',
  experiments: 'runtime clone link image difftest store snapshot machine kernel vfs elf unicorn memory model abi',
  // The run session, the clone server and the link between phone and clone sit side by side.
  runtime: 'clone link image difftest store snapshot machine kernel vfs elf unicorn memory model abi',
  clone: 'runtime link image difftest store snapshot machine kernel vfs elf unicorn memory model abi',
  link: 'runtime clone image difftest store snapshot machine kernel vfs elf unicorn memory model abi',
  // Image manifests describe what to boot: they build on the machine, and nothing but the
  // commands, the experiments and the run session needs them.
  image: 'machine kernel vfs elf unicorn memory model abi',
  difftest: 'store snapshot machine kernel vfs elf unicorn memory model abi',
  store: 'snapshot machine kernel vfs elf unicorn memory model abi',
  snapshot: 'machine kernel vfs elf unicorn memory model abi',
  machine: 'kernel vfs elf unicorn memory model abi',
  kernel: 'vfs elf unicorn memory model abi',
  // Of the four leaves only the ELF loader and the CPU engine touch guest memory.
  vfs: 'model abi',
  elf: 'memory model abi',
  unicorn: 'memory model abi',
  memory: 'model abi',
  model: 'abi',
  abi: '',
};

/** The base every layer may import: typed errors and the save/restore contract. */
const BASE = '^emulator/(errors|persist)[.]ts$';

/** A path pattern matching every module in the named folders of emulator/. */
const folders = (names) => `^emulator/(${names.join('|')})/`;

/** One rule per layer: from that layer, nothing in emulator/ but its own folder, the layers below and the base. */
const layerRules = Object.entries(LAYERS).map(([layer, list]) => {
  const below = list ? list.split(' ') : [];
  const may = [...below, 'its own folder', 'emulator/errors.ts', 'emulator/persist.ts'].join(', ');
  return {
    name: `layer-${layer}`,
    comment: `emulator/${layer}/ may import only from ${may}: an import upwards (or sideways) breaks the layers`,
    severity: 'error',
    from: { path: folders([layer]) },
    to: { path: '^emulator/', pathNot: [folders([layer, ...below]), BASE] },
  };
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'layer-base',
      comment: 'emulator/errors.ts and emulator/persist.ts are the base of every layer: they import no layer',
      severity: 'error',
      from: { path: BASE },
      to: { path: '^emulator/', pathNot: BASE },
    },
    {
      name: 'layer-unknown-folder',
      comment: 'every folder under emulator/ needs a place in the layers: add it to LAYERS in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^emulator/', pathNot: [folders(Object.keys(LAYERS)), BASE] },
      to: {},
    },
    {
      name: 'no-import-cycles',
      comment: 'modules that import each other (directly or through others) cannot be layered: break the cycle',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'emulator-not-to-tests',
      comment: 'the toolkit never depends on its tests or scripts',
      severity: 'error',
      from: { path: '^emulator/' },
      to: { path: '^(spec|scripts)/' },
    },
    {
      name: 'emulator-not-to-dev-deps',
      comment: 'the toolkit imports only packages from "dependencies" in package.json (devDependencies are not installed for users)',
      severity: 'error',
      from: { path: '^emulator/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'], pathNot: ['node_modules/@types/'] },
    },
    {
      name: 'no-undeclared-packages',
      comment: 'a package that is imported must be declared in package.json',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that does not resolve to a file or an installed package',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-orphans',
      comment: 'a module nothing imports and that imports nothing is dead code (or a forgotten entry point)',
      severity: 'error',
      // Mocha loads the hooks through .mocharc.json.
      from: { orphan: true, pathNot: ['[.]d[.]ts$', '^spec/support/hooks[.]ts$'] },
      to: {},
    },
  ],
  options: {
    exclude: { path: '^(dist|vendor|build|images)/' },
    doNotFollow: { path: 'node_modules' },
    // Type-only imports couple layers as much as value imports do, so they count too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json', '.d.ts'],
    },
  },
};
