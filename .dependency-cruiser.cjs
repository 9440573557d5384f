// The import rules of server/src (design.md, "Layout"), checked by `pnpm lint` in CI.
// Type-only imports count too: a module that imports a process entry point's types is coupled to it.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Files import each other in one direction only. A cycle made only of type-only imports is allowed (nothing runs in a loop).',
      from: { path: '^server/src' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'modules-not-entry-points',
      severity: 'error',
      comment: 'A domain module never imports a process entry point or the composition root: they import it.',
      from: { path: '^server/src/(modules|lib|meta|db|graphql|http|queue|config)/' },
      to: { path: '^server/src/(main|worker|start|runtime|services|jobs|demo|migrate-cli)\\.ts$' },
    },
    {
      name: 'lib-imports-no-module',
      severity: 'error',
      comment: 'lib/ holds helpers with no domain knowledge: it imports no module (nor the layers above it).',
      from: { path: '^server/src/lib/' },
      to: { path: '^server/src/(modules|graphql|http|queue|meta)/' },
    },
    {
      name: 'domains-depend-one-way',
      severity: 'error',
      comment: 'campaigns → outbound → message-templates → phone-numbers → tenants: never the other way.',
      from: { path: '^server/src/modules/(tenants|phone-numbers|message-templates|outbound)/' },
      to: { path: '^server/src/modules/campaigns/' },
    },
    {
      name: 'outbound-below-campaigns-only',
      severity: 'error',
      from: { path: '^server/src/modules/(tenants|phone-numbers|message-templates)/' },
      to: { path: '^server/src/modules/outbound/' },
    },
    {
      name: 'templates-above-numbers',
      severity: 'error',
      from: { path: '^server/src/modules/(tenants|phone-numbers)/' },
      to: { path: '^server/src/modules/message-templates/' },
    },
    {
      name: 'numbers-above-tenants',
      severity: 'error',
      from: { path: '^server/src/modules/tenants/' },
      to: { path: '^server/src/modules/phone-numbers/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(node_modules|\\.spec\\.ts$)' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
