/** A size limit as people read it: 65536 -> "64 KB", 20971520 -> "20 MB". */
export function formatBytes(bytes: number): string {
  const [size, unit] = bytes >= 1024 * 1024 ? [bytes / (1024 * 1024), 'MB'] : bytes >= 1024 ? [bytes / 1024, 'KB'] : [bytes, 'bytes'];
  return `${Number.isInteger(size) ? size : size.toFixed(1)} ${unit}`;
}
