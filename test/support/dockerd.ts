// A Docker engine for tests: the product's (builder/docker/dockerd.ts) reuses the one answering or
// starts Debian's dockerd with its data root under $D0_CACHE/docker, and stops only what it started.
export { ensureDockerd, type DockerHandle } from '../../builder/docker/dockerd';
export { DOCKER_SOCKET } from '../../builder/oci/engine-client';
