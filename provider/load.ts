// Loads a provider implementation module inside the provider process.
//
// Pulumi serializes each dynamic provider object with its closure and runs it in the
// pulumi-resource-pulumi-nodejs plugin, a plain Node.js process without TypeScript support. So a
// provider method captures only this function and a path string, and its first call registers
// tsx (a dependency of this package) and require()s the real implementation from this checkout
// by absolute path. Heavy modules (builders, dockerode, core) are thus never serialized.
const IMPL_DIR: string = __dirname + '/impl/';

export function loadImpl<T>(name: string): T {
  if (!require.extensions['.ts']) {
    const api = require(require.resolve('tsx/cjs/api', { paths: [IMPL_DIR] })) as {
      register(): unknown;
    };
    api.register();
  }
  return require(IMPL_DIR + name) as T;
}
