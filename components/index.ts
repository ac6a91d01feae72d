// The public API of D0's Pulumi components.
export { Site, type SiteArgs, type SiteContainerArgs, type SiteHostArgs } from './site';
export {
  Fleet,
  type FleetArgs,
  type FleetHostArgs,
  type FleetSiteArgs,
  type FleetUpdateServerArgs,
} from './fleet';
export { rolloutBatches, type RolloutHost, type RolloutStep } from './rollout';
