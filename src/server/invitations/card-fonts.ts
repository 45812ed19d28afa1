import fs from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { Font } from "satori";

/**
 * Noto Sans JP and KR as whole TTF files from @expo-google-fonts (the @fontsource packages split
 * CJK into unicode-range subsets that satori cannot choose between). Each family covers Latin
 * too; the `lang` tag lets satori pick the Japanese or Korean glyph forms for shared Han
 * characters. No system font is used, so cards look the same on every host.
 */
const FILES = [
  { pkg: "@expo-google-fonts/noto-sans-jp", file: "400Regular/NotoSansJP_400Regular.ttf", name: "Noto Sans JP", weight: 400, lang: "ja-JP" },
  { pkg: "@expo-google-fonts/noto-sans-jp", file: "700Bold/NotoSansJP_700Bold.ttf", name: "Noto Sans JP", weight: 700, lang: "ja-JP" },
  { pkg: "@expo-google-fonts/noto-sans-kr", file: "400Regular/NotoSansKR_400Regular.ttf", name: "Noto Sans KR", weight: 400, lang: "ko-KR" },
  { pkg: "@expo-google-fonts/noto-sans-kr", file: "700Bold/NotoSansKR_700Bold.ttf", name: "Noto Sans KR", weight: 700, lang: "ko-KR" },
] as const;

export const FONT_FAMILY_JA = "Noto Sans JP";
export const FONT_FAMILY_KO = "Noto Sans KR";

const require = createRequire(import.meta.url);
let loading: Promise<Font[]> | undefined;

function packageDir(pkg: string): string {
  return path.dirname(require.resolve(`${pkg}/package.json`));
}

/** Reads the four font files (~23 MB) once per process; later cards reuse the parsed buffers. */
export function cardFonts(): Promise<Font[]> {
  loading ??= Promise.all(
    FILES.map(async (f) => ({
      name: f.name,
      weight: f.weight,
      style: "normal" as const,
      lang: f.lang,
      data: await fs.readFile(path.join(packageDir(f.pkg), f.file)),
    })),
  ).catch((err: unknown) => {
    // A failed read must not poison the cache: the next card tries again.
    loading = undefined;
    throw err;
  });
  return loading;
}
