/**
 * A QR code drawn as one SVG path from the module matrix (qrcode's `create`, the same encoder the
 * confirmation email uses), so it stays sharp at any zoom and needs no canvas or innerHTML.
 */

import { useMemo } from "preact/hooks";
import { create } from "qrcode";

export function QrCode(props: { value: string; label: string; size?: number }) {
  const { path, n } = useMemo(() => {
    const { modules } = create(props.value, { errorCorrectionLevel: "M" });
    const d: string[] = [];
    for (let y = 0; y < modules.size; y++) {
      for (let x = 0; x < modules.size; x++) if (modules.get(y, x)) d.push(`M${x + 4} ${y + 4}h1v1h-1z`);
    }
    return { path: d.join(""), n: modules.size + 8 };
  }, [props.value]);
  const size = props.size ?? 192;
  return (
    <svg
      class="qr"
      role="img"
      aria-label={props.label}
      width={size}
      height={size}
      viewBox={`0 0 ${n} ${n}`}
      shape-rendering="crispEdges"
      data-testid="qr"
    >
      <rect width={n} height={n} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
