import { renderBusinessCard, type BusinessCard } from "./card.ts";
import { invitationQrPng } from "./qr.ts";

/**
 * The invitation images as CPU-pool tasks (cpu/pool.ts): this module is loaded on the worker
 * threads, where satori, resvg and the QR encoder may take their ~0.3 s without holding up the
 * event loop. Inputs and outputs cross threads by structured clone, so PNGs come back as
 * Uint8Array.
 */
export function qrPngTask(input: { url: string }): Promise<Uint8Array> {
  return invitationQrPng(input.url);
}

/** The business card with its QR code made on the same thread: one hop instead of two. */
export async function businessCardPngTask(input: Omit<BusinessCard, "qrPng"> & { qrUrl: string }): Promise<Uint8Array> {
  const { qrUrl, ...card } = input;
  return renderBusinessCard({ ...card, qrPng: await invitationQrPng(qrUrl) });
}
