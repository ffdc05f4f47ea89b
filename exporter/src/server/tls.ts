/**
 * The exporter's TLS material: the server's certificate and key and, optionally, the CAs that sign client
 * certificates, read from PEM files (mounted Secrets) at start and again when they change, so a renewed certificate
 * takes effect without a restart.
 *
 * Client certificates are requested, never required at the TLS layer: Prometheus scrapes /metrics without one unless
 * configured to, and the audit webhook decides per request (`req.socket.authorized` and the subject's CN/O).
 */
import { readFileSync, statSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { ConfigError, type TlsConfig } from '../config';

/** What `https.createServer` and `setSecureContext` take from the files. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca: Buffer | undefined;
}

const FILE_KEYS: Record<keyof TlsConfig, string> = {
  certFile: 'server.tls.certFile (--tls-cert-file)',
  keyFile: 'server.tls.keyFile (--tls-key-file)',
  clientCAFile: 'server.tls.clientCAFile (--tls-client-ca-file)',
};

/**
 * Reads the files and checks that they make a usable context (PEM that parses, a key that matches the certificate).
 * Throws ConfigError naming each key whose file is missing or bad, so `serve` refuses to start with a clear message.
 */
export function readTlsMaterial(config: TlsConfig): TlsMaterial {
  const problems: string[] = [];
  const read = (key: keyof TlsConfig): Buffer | undefined => {
    const path = config[key];
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      problems.push(
        `${FILE_KEYS[key]}: ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); give the path of a PEM file`,
      );
      return undefined;
    }
  };
  const cert = read('certFile');
  const key = read('keyFile');
  const ca = read('clientCAFile');
  if (problems.length > 0 || cert === undefined || key === undefined) throw new ConfigError(problems);
  const material = { cert, key, ca };
  try {
    createSecureContext(secureContextOptions(material));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigError([
      `${FILE_KEYS.certFile}, ${FILE_KEYS.keyFile}${ca === undefined ? '' : `, ${FILE_KEYS.clientCAFile}`}: not a usable certificate, key${ca === undefined ? '' : ' and CA'} (${message}); give PEM files, the key matching the certificate`,
    ]);
  }
  return material;
}

export function secureContextOptions(material: TlsMaterial): SecureContextOptions {
  return { cert: material.cert, key: material.key, ...(material.ca === undefined ? {} : { ca: material.ca }) };
}

/**
 * Watches the files by their stat signature (device, inode, size, modification time: a Secret update swaps a
 * symlink, so the inode changes even when the size does not). `check()` re-reads them after a change and returns the
 * new material, or undefined when nothing changed; bad new files (a certificate renewed before its key) throw once,
 * and the caller keeps serving the old context until the files change again.
 */
export class TlsFiles {
  private signature: string;

  constructor(private readonly config: TlsConfig) {
    this.signature = this.currentSignature();
  }

  check(): TlsMaterial | undefined {
    const signature = this.currentSignature();
    if (signature === this.signature) return undefined;
    this.signature = signature;
    return readTlsMaterial(this.config);
  }

  private currentSignature(): string {
    return [this.config.certFile, this.config.keyFile, this.config.clientCAFile]
      .map((path) => {
        if (path === undefined) return '';
        try {
          const info = statSync(path);
          return `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}`;
        } catch {
          return 'missing';
        }
      })
      .join('|');
  }
}
