// The package's public API for Pulumi programs: the resources (provider/) and the components
// (components/). Examples import from here.
export * from './provider';
export * from './components';
