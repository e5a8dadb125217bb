// The one-way flow of issue 12, checked by `npm run check:architecture` (called in .ci/run).
// Layers, highest first; a file may import its own layer and any lower one, never a higher one:
//
//   entry     src/server.ts, src/app.ts, src/cli/main.ts
//   edge      src/http/, src/cli/, src/web/      (http, cli and web never import each other)
//   delivery  src/delivery/, src/events/         (the outbox worker; change events: SETs, push and poll)
//   domain    src/domain/
//   auth      src/auth/                          (crypto and token primitives)
//   store     src/store/                         (the only place that knows SQL)
//   scim      src/scim/                          (pure SCIM: filter parse, PATCH, render, schemas)
//   base      src/model/, src/config/
//
// Violations that existed when the rule was written are listed in
// .dependency-cruiser-known-violations.json (`npm run check:architecture:baseline` rewrites it);
// the check ignores those and fails on any new one. The goal is an empty list.

/** @type {{ name: string, path: string }[]} */
const LAYERS = [
  { name: 'entry', path: '^src/(server|app)\\.ts$|^src/cli/main\\.ts$' },
  { name: 'edge', path: '^src/(http|cli|web)/' },
  { name: 'delivery', path: '^src/(delivery|events)/' },
  { name: 'domain', path: '^src/domain/' },
  { name: 'auth', path: '^src/auth/' },
  { name: 'store', path: '^src/store/' },
  { name: 'scim', path: '^src/scim/' },
  { name: 'base', path: '^src/(model|config)/' },
];

const layerRules = LAYERS.slice(1).map((layer, i) => ({
  name: `layer-${layer.name}-imports-higher`,
  comment: `${layer.name} may import only its own layer and lower ones (${LAYERS.slice(i + 2).map((l) => l.name).join(', ') || 'nothing below'})`,
  severity: 'error',
  from: { path: layer.path, pathNot: LAYERS[0].path },
  to: { path: LAYERS.slice(0, i + 1).map((l) => `(${l.path})`).join('|') },
}));

const EDGES = ['http', 'cli', 'web'];
const edgePeerRules = EDGES.map((edge) => ({
  name: `edge-${edge}-imports-peer`,
  comment: `${edge}/ does not import the other edges (${EDGES.filter((e) => e !== edge).join(', ')})`,
  severity: 'error',
  from: { path: `^src/${edge}/`, pathNot: LAYERS[0].path },
  to: { path: `^src/(${EDGES.filter((e) => e !== edge).join('|')})/` },
}));

export default {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No two files in src/ import each other, directly or through others',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...layerRules,
    ...edgePeerRules,
    {
      name: 'edge-skips-domain',
      comment: 'http/, cli/ and web/ reach storage only through the domain (the repositories type excepted: the edge hands repositories to the domain)',
      severity: 'error',
      from: { path: '^src/(http|cli|web)/', pathNot: LAYERS[0].path },
      to: { path: '^src/store/', pathNot: '^src/store/repositories\\.ts$' },
    },
    {
      name: 'sql-only-in-store',
      comment: 'knex and pg are imported only under src/store/',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/store/' },
      to: { path: '(^|/)node_modules/(knex|pg)/' },
    },
    {
      name: 'koa-only-in-http',
      comment: 'koa and @koa/router are imported only under src/http/ (and src/web/) and in src/app.ts',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(http|web)/|^src/app\\.ts$' },
      to: { path: '(^|/)node_modules/(koa|@koa/router)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^(src|node_modules)/',
    // Type-only imports count: a type import from a higher layer is a dependency all the same.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
