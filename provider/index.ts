// The public API of D0's Pulumi provider: programs import from here (or from the repository
// root's index.ts, which re-exports it and components/).
export { Network, type NetworkArgs } from './network';
export { Container, type ContainerArgs } from './container';
export { Deployment, type DeploymentArgs, type SecureBootFiles } from './deployment';
export { KernelBuild, type KernelBuildArgs } from './kernel-build';
export { EspSlotWriter, type EspSlotWriterArgs, type EspSlotTarget } from './esp-slot-writer';
export type { NextBoot, SlotReading } from './impl/esp-slot-read';
export { UpdatePublication, type UpdatePublicationArgs } from './update-publication';
export {
  HostRollout,
  type HostRolloutArgs,
  type HostRolloutBmc,
  type HostRolloutHost,
  type PublishedBuildRef,
} from './host-rollout';
export type { ReportedEvent } from './impl/host-reports';
export type {
  ContainerSpec,
  EgressAllowSpec,
  EgressSpec,
  ExecOverrides,
  HealthName,
  NetworkSpec,
  PublishSpec,
  RateLimitSpec,
  RateSpec,
  RestartName,
  RouteSpec,
} from '../core/site/spec';
export { signingKeyFromFile, signingKeyFromEnv } from './signing-key';
export { projectDir, projectPath } from './project-path';
