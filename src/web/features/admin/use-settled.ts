import { useEffect, useState } from "react";

const SETTLE_MS = 250;

/** The trimmed value once typing pauses, so a search box sends one request rather than one per key. */
export function useSettled(value: string): string {
  const [settled, setSettled] = useState(value.trim());
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value.trim()), SETTLE_MS);
    return () => clearTimeout(timer);
  }, [value]);
  return settled;
}
