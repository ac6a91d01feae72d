// KernelBuild: D0's EFI application with a public key compiled in (builder/d0-efi, cached per key
// and kernel sources by builder/d0-efi/cache.ts).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type * as pulumi from '@pulumi/pulumi';
import { d0Efi } from '../../builder/d0-efi/cache';
import { failures, hasUnknown, withoutProvider } from './problems';

interface Inputs extends Record<string, unknown> {
  publicKey: string;
  mode?: 'auto' | 'docker' | 'host';
}

export function check(_olds: Inputs, news: Inputs): pulumi.dynamic.CheckResult {
  if (hasUnknown(withoutProvider(news))) return { inputs: news };
  const problems = [];
  if (typeof news.publicKey !== 'string' || !/^[0-9a-f]{64}$/.test(news.publicKey))
    problems.push({
      code: 'KEY',
      path: 'publicKey',
      message: 'is not an Ed25519 public key (64 lowercase hex digits)',
    });
  if (news.mode !== undefined && !['auto', 'docker', 'host'].includes(news.mode))
    problems.push({
      code: 'INVALID',
      path: 'mode',
      message: `${JSON.stringify(news.mode)} is not auto, docker or host`,
    });
  return { inputs: news, failures: failures(problems) };
}

export function diff(_id: string, olds: Inputs, news: Inputs): pulumi.dynamic.DiffResult {
  const replaces = (['publicKey', 'mode'] as const).filter(
    (k) => (olds[k] ?? 'auto') !== (news[k] ?? 'auto'),
  );
  return { changes: replaces.length > 0, replaces };
}

export async function create(inputs: Inputs): Promise<pulumi.dynamic.CreateResult> {
  const efi = await d0Efi(inputs.publicKey, { mode: inputs.mode });
  return {
    id: efi.key.slice(0, 32),
    outs: {
      ...withoutProvider(inputs),
      path: efi.path,
      sha256: efi.sha256,
      size: efi.size,
      builtWith: efi.mode,
    },
  };
}

/**
 * `pulumi refresh`: the EFI is still in the build cache with its digest, or it is gone (an empty
 * id: the refresh drops the resource, and the next `up` builds it again; d0Efi never hands out an
 * entry whose EFI was removed or altered).
 */
export function read(
  id: string,
  props: Inputs & { path?: string; sha256?: string },
): pulumi.dynamic.ReadResult {
  let why: string;
  try {
    const sha = createHash('sha256')
      .update(fs.readFileSync(String(props.path)))
      .digest('hex');
    if (sha === props.sha256) return { id, props: withoutProvider(props) };
    why = `its SHA-256 is ${sha}, not ${props.sha256}`;
  } catch (e) {
    why = `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  process.stderr.write(`KernelBuild: ${props.path} ${why}; the next up builds it again\n`);
  return { id: '' };
}
