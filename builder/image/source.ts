// SOURCE strings of `d0 image build`: docker:NAME[:TAG], oci:DIR_OR_TAR[:REF],
// docker-archive:FILE.tar[:REPO:TAG].
import fs from 'node:fs';
import { fail } from '../../core/image/errors';

export type ImageSourceRef =
  | { kind: 'docker'; image: string }
  | { kind: 'oci'; location: string; ref?: string }
  | { kind: 'docker-archive'; file: string; ref?: string };

/** A path with ":suffix": the suffix is a ref only when the whole string is not itself a path. */
function splitRef(s: string): { location: string; ref?: string } {
  if (fs.existsSync(s)) return { location: s };
  const i = s.indexOf(':');
  return i < 0 ? { location: s } : { location: s.slice(0, i), ref: s.slice(i + 1) };
}

export function parseSource(source: string): ImageSourceRef {
  const colon = source.indexOf(':');
  const scheme = colon < 0 ? '' : source.slice(0, colon);
  const rest = source.slice(colon + 1);
  if (rest === '' || !['docker', 'oci', 'docker-archive'].includes(scheme))
    fail('SOURCE_INVALID', `image source "${source}": expected docker:NAME[:TAG], oci:PATH[:REF] or docker-archive:FILE`);
  if (scheme === 'docker') return { kind: 'docker', image: rest };
  const { location, ref } = splitRef(rest);
  return scheme === 'oci' ? { kind: 'oci', location, ref } : { kind: 'docker-archive', file: location, ref };
}
