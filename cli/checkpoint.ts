import { randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { decodeSafetensors, encodeSafetensors, PoolkitError, type Safetensors, type Storage, type Tensor } from 'poolkit';

/**
 * Replaces `file` with `bytes` so that a crash or a full disk leaves either the old file or the
 * new one, never a torn mix: write a temporary file beside it, fsync it, rename it over the
 * target (atomic within a directory on POSIX), then fsync the directory so the rename itself is
 * durable. On failure the temporary file is removed and the error rethrown; the old file is kept.
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  // A replaced file keeps its permissions.
  const mode = await stat(file).then((s) => s.mode & 0o7777, () => 0o666);
  let created = false;
  try {
    const handle = await open(tmp, 'wx', mode);
    created = true;
    try {
      let written = 0;
      while (written < bytes.length) written += (await handle.write(bytes, written, bytes.length - written)).bytesWritten;
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
    created = false;
  } catch (e) {
    if (created) await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await syncDirectory(dir);
}

/** fsync of a directory; some platforms (Windows) cannot open one, and there rename is durable enough. */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch (e) {
    if (isCode(e, 'EISDIR', 'EPERM', 'EACCES')) return;
    throw e;
  }
  try {
    await handle.sync();
  } catch (e) {
    if (!isCode(e, 'EINVAL', 'ENOTSUP', 'EBADF', 'EPERM')) throw e;
  } finally {
    await handle.close();
  }
}

function isCode(e: unknown, ...codes: string[]): boolean {
  return typeof e === 'object' && e !== null && codes.includes((e as { code?: string }).code ?? '');
}

/**
 * Writes `tensors` (and string `metadata`) as a safetensors file, atomically.
 *
 *     await saveSafetensors('lenet5.safetensors', model.stateDict(), { format: 'pt' });
 */
export async function saveSafetensors(file: string, tensors: Readonly<Record<string, Tensor<Storage>>>, metadata?: Readonly<Record<string, string>>): Promise<void> {
  const bytes = encodeSafetensors(tensors, metadata);
  try {
    await writeFileAtomic(file, bytes);
  } catch (e) {
    // The usual mistakes, said plainly (the raw error would name the temporary file).
    const why = isCode(e, 'ENOENT', 'ENOTDIR') ? `directory ${path.dirname(file)} does not exist`
      : isCode(e, 'EACCES', 'EPERM', 'EROFS') ? `no permission to write in ${path.dirname(file)}`
        : isCode(e, 'EISDIR', 'ENOTEMPTY', 'EEXIST') ? 'is a directory'
          : isCode(e, 'ENOSPC', 'EDQUOT') ? 'the disk is full (the previous file, if any, is unchanged)'
            : null;
    if (why === null) throw e;
    throw new PoolkitError('save_safetensors', 'path', `${file}: ${why}`, file);
  }
}

/**
 * Reads a safetensors file. A missing or unreadable file, like a malformed one, gives a
 * `PoolkitError` whose message names the file.
 *
 *     const { tensors, metadata } = await loadSafetensors('lenet5.safetensors');
 */
export async function loadSafetensors(file: string): Promise<Safetensors> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    if (isCode(e, 'ENOENT')) throw new PoolkitError('load_safetensors', 'path', `${file}: no such file`, file);
    if (isCode(e, 'EISDIR')) throw new PoolkitError('load_safetensors', 'path', `${file}: is a directory, not a safetensors file`, file);
    if (isCode(e, 'EACCES', 'EPERM')) throw new PoolkitError('load_safetensors', 'path', `${file}: permission denied`, file);
    throw e;
  }
  return decodeSafetensors(bytes, file);
}
