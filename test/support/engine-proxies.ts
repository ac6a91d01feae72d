// A real Docker engine's dockerode, seen through a proxy: to count what the image builder asks of
// it, or to make its info name another data root (where builder/oci/engine-store.ts looks).
import type Dockerode from 'dockerode';

/** The engine, counting its saves (GET /images/{name}/get, `docker save`). */
export function countingSaves(docker: Dockerode): { docker: Dockerode; saves: () => number } {
  let saves = 0;
  const proxy = new Proxy(docker, {
    get(target, prop, receiver) {
      if (prop !== 'getImage') return Reflect.get(target, prop, receiver);
      return (name: string) => {
        const img = target.getImage(name);
        const get = img.get.bind(img);
        img.get = ((...a: unknown[]) => {
          saves++;
          return (get as (...x: unknown[]) => unknown)(...a);
        }) as typeof img.get;
        return img;
      };
    },
  });
  return { docker: proxy, saves: () => saves };
}

/** The engine, but its info names `root` as its data root. */
export function withDataRoot(docker: Dockerode, root: string): Dockerode {
  return new Proxy(docker, {
    get(target, prop, receiver) {
      if (prop !== 'info') return Reflect.get(target, prop, receiver);
      return async () => ({ ...(await target.info()), DockerRootDir: root });
    },
  });
}
