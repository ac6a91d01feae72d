// The public API of D0's Pulumi components.
export { Site, type SiteArgs, type SiteContainerArgs, type SiteHostArgs } from './site';
export { Fleet, type FleetArgs, type FleetSiteArgs } from './fleet';
export { rolloutBatches, type RolloutHost, type RolloutStep } from './rollout';
