// Loads a provider implementation module inside the provider process.
//
// Pulumi serializes each dynamic provider object with its closure and runs it in the
// pulumi-resource-pulumi-nodejs plugin, a plain Node.js process. So a provider method captures
// only this function and two constants, and its first call require()s the real implementation by
// absolute path: heavy modules (builders, dockerode, core) are never serialized.
//
// The installed package (`npm pack`: dist/provider/impl/*.js) needs nothing more. Run from the
// TypeScript sources (this checkout, where impl/ holds .ts files), the plugin cannot load them
// by itself, so the first call registers tsx, a development dependency of the checkout.
const IMPL_DIR: string = __dirname + '/impl/';
const FROM_SOURCES: boolean = __filename.endsWith('.ts');

export function loadImpl<T>(name: string): T {
  if (FROM_SOURCES && !require.extensions['.ts']) {
    const api = require(require.resolve('tsx/cjs/api', { paths: [IMPL_DIR] })) as {
      register(): unknown;
    };
    api.register();
  }
  return require(IMPL_DIR + name) as T;
}
