/**
 * Deterministic, realistic contacts for the 1M-contact benchmark: Japanese (kanji names with a
 * kana reading), Korean and Latin names, phones, e-mails, companies, tags, privacy ALL / MEMBER
 * with chosen members and teams, some LINE-linked, ~2 % in the Trash. The same seed gives the
 * same contacts; timestamps are offsets from an anchor the caller passes.
 *
 * Every contact goes through the app's own path — the shared zod schema (`CreateContactBody`,
 * which applies its defaults), `mergeFields` and `toWrite` (search text, phone digits, sort
 * name) — so the seeded rows are what `POST /contacts` would have written.
 */
import { CreateContactBody, type CreateContactInput } from "../src/shared/contacts.ts";
import { EMPTY_CONTACT, mergeFields, toWrite } from "../src/server/contacts/fields.ts";
import type { ContactWrite } from "../src/server/contacts/repository.ts";

/** mulberry32: tiny, fast, good enough for test data; the same seed gives the same sequence. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    chance: (p: number) => next() < p,
    pick: <T>(items: readonly T[]) => items[int(items.length)]!,
    /** Skewed towards the start of the list (a few tags and names are much more common than the rest). */
    pickSkewed: <T>(items: readonly T[]) => items[Math.floor(items.length * next() ** 2)]!,
    digits: (n: number) => Array.from({ length: n }, () => int(10)).join(""),
    uuid() {
      const hex = Array.from({ length: 16 }, () => int(256).toString(16).padStart(2, "0"));
      hex[6] = ((parseInt(hex[6]!, 16) & 0x0f) | 0x40).toString(16).padStart(2, "0");
      hex[8] = ((parseInt(hex[8]!, 16) & 0x3f) | 0x80).toString(16).padStart(2, "0");
      const s = hex.join("");
      return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
    },
  };
}
export type Prng = ReturnType<typeof prng>;

// [written, reading (hiragana), romaji]
const JA_LAST: [string, string, string][] = [
  ["佐藤", "さとう", "sato"], ["鈴木", "すずき", "suzuki"], ["高橋", "たかはし", "takahashi"], ["田中", "たなか", "tanaka"],
  ["伊藤", "いとう", "ito"], ["渡辺", "わたなべ", "watanabe"], ["山本", "やまもと", "yamamoto"], ["中村", "なかむら", "nakamura"],
  ["小林", "こばやし", "kobayashi"], ["加藤", "かとう", "kato"], ["吉田", "よしだ", "yoshida"], ["山田", "やまだ", "yamada"],
  ["佐々木", "ささき", "sasaki"], ["山口", "やまぐち", "yamaguchi"], ["松本", "まつもと", "matsumoto"], ["井上", "いのうえ", "inoue"],
  ["木村", "きむら", "kimura"], ["林", "はやし", "hayashi"], ["斎藤", "さいとう", "saito"], ["清水", "しみず", "shimizu"],
  ["山崎", "やまざき", "yamazaki"], ["森", "もり", "mori"], ["池田", "いけだ", "ikeda"], ["橋本", "はしもと", "hashimoto"],
  ["阿部", "あべ", "abe"], ["石川", "いしかわ", "ishikawa"], ["山下", "やました", "yamashita"], ["中島", "なかじま", "nakajima"],
  ["石井", "いしい", "ishii"], ["小川", "おがわ", "ogawa"], ["前田", "まえだ", "maeda"], ["岡田", "おかだ", "okada"],
  ["長谷川", "はせがわ", "hasegawa"], ["藤田", "ふじた", "fujita"], ["後藤", "ごとう", "goto"], ["近藤", "こんどう", "kondo"],
  ["村上", "むらかみ", "murakami"], ["遠藤", "えんどう", "endo"], ["青木", "あおき", "aoki"], ["坂本", "さかもと", "sakamoto"],
  ["福田", "ふくだ", "fukuda"], ["太田", "おおた", "ota"], ["西村", "にしむら", "nishimura"], ["藤井", "ふじい", "fujii"],
  ["金子", "かねこ", "kaneko"], ["岡本", "おかもと", "okamoto"], ["藤原", "ふじわら", "fujiwara"], ["中野", "なかの", "nakano"],
  ["三浦", "みうら", "miura"], ["原田", "はらだ", "harada"], ["中川", "なかがわ", "nakagawa"], ["松田", "まつだ", "matsuda"],
  ["竹内", "たけうち", "takeuchi"], ["小野", "おの", "ono"], ["田村", "たむら", "tamura"], ["中山", "なかやま", "nakayama"],
  ["和田", "わだ", "wada"], ["石田", "いしだ", "ishida"], ["森田", "もりた", "morita"], ["上田", "うえだ", "ueda"],
  ["柴田", "しばた", "shibata"], ["酒井", "さかい", "sakai"], ["工藤", "くどう", "kudo"], ["横山", "よこやま", "yokoyama"],
  ["宮崎", "みやざき", "miyazaki"], ["宮本", "みやもと", "miyamoto"], ["内田", "うちだ", "uchida"], ["高木", "たかぎ", "takagi"],
];
const JA_FIRST: [string, string, string][] = [
  ["太郎", "たろう", "taro"], ["花子", "はなこ", "hanako"], ["翔太", "しょうた", "shota"], ["大輔", "だいすけ", "daisuke"],
  ["健太", "けんた", "kenta"], ["拓也", "たくや", "takuya"], ["直樹", "なおき", "naoki"], ["誠", "まこと", "makoto"],
  ["亮", "りょう", "ryo"], ["浩二", "こうじ", "koji"], ["陽子", "ようこ", "yoko"], ["美咲", "みさき", "misaki"],
  ["愛", "あい", "ai"], ["由美", "ゆみ", "yumi"], ["恵", "めぐみ", "megumi"], ["真由美", "まゆみ", "mayumi"],
  ["智子", "ともこ", "tomoko"], ["裕子", "ゆうこ", "yuko"], ["久美子", "くみこ", "kumiko"], ["明美", "あけみ", "akemi"],
  ["蓮", "れん", "ren"], ["悠真", "ゆうま", "yuma"], ["湊", "みなと", "minato"], ["陽翔", "はると", "haruto"],
  ["結衣", "ゆい", "yui"], ["陽菜", "ひな", "hina"], ["葵", "あおい", "aoi"], ["凛", "りん", "rin"],
  ["大和", "やまと", "yamato"], ["颯太", "そうた", "sota"], ["一郎", "いちろう", "ichiro"], ["次郎", "じろう", "jiro"],
  ["和也", "かずや", "kazuya"], ["達也", "たつや", "tatsuya"], ["隆", "たかし", "takashi"], ["博", "ひろし", "hiroshi"],
  ["聡", "さとし", "satoshi"], ["学", "まなぶ", "manabu"], ["純一", "じゅんいち", "junichi"], ["康介", "こうすけ", "kosuke"],
  ["さくら", "さくら", "sakura"], ["舞", "まい", "mai"], ["彩", "あや", "aya"], ["千尋", "ちひろ", "chihiro"],
  ["奈々", "なな", "nana"], ["沙織", "さおり", "saori"], ["香織", "かおり", "kaori"], ["理恵", "りえ", "rie"],
];
const KO_LAST: [string, string][] = [
  ["김", "kim"], ["이", "lee"], ["박", "park"], ["최", "choi"], ["정", "jung"], ["강", "kang"], ["조", "cho"], ["윤", "yoon"],
  ["장", "jang"], ["임", "lim"], ["한", "han"], ["오", "oh"], ["서", "seo"], ["신", "shin"], ["권", "kwon"], ["황", "hwang"],
  ["안", "ahn"], ["송", "song"], ["류", "ryu"], ["홍", "hong"],
];
const KO_SYLLABLE: [string, string][] = [
  ["민", "min"], ["수", "su"], ["지", "ji"], ["현", "hyun"], ["서", "seo"], ["준", "jun"], ["영", "young"], ["우", "woo"],
  ["하", "ha"], ["은", "eun"], ["연", "yeon"], ["진", "jin"], ["성", "sung"], ["호", "ho"], ["희", "hee"], ["예", "ye"],
  ["윤", "yun"], ["도", "do"], ["재", "jae"], ["혜", "hye"],
];
const EN_FIRST = [
  "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth", "David", "Barbara",
  "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Daniel", "Nancy", "Matthew", "Lisa",
  "Anthony", "Emma", "Mark", "Olivia", "Paul", "Sophie", "Lukas", "Anna", "Pierre", "Marie", "Carlos", "Lucia", "Marco",
  "Giulia", "Oliver", "Chloe",
];
const EN_LAST = [
  "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez",
  "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris",
  "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Müller", "Schmidt", "Dubois",
  "Rossi", "Silva", "Nguyen", "Novak", "Kowalski",
];
// [name part, romanised for the mail domain]
const JA_CO_CORE: [string, string][] = [
  ["東京", "tokyo"], ["大阪", "osaka"], ["日本", "nihon"], ["富士", "fuji"], ["桜", "sakura"], ["青空", "aozora"], ["未来", "mirai"],
  ["光", "hikari"], ["中央", "chuo"], ["北斗", "hokuto"], ["大和", "yamato"], ["新星", "shinsei"], ["旭", "asahi"], ["みどり", "midori"],
];
const JA_CO_KIND: [string, string][] = [
  ["商事", "shoji"], ["物産", "bussan"], ["電機", "denki"], ["製作所", "seisakusho"], ["システム", "system"], ["工業", "kogyo"],
  ["建設", "kensetsu"], ["食品", "shokuhin"], ["不動産", "fudosan"], ["ソリューションズ", "solutions"], ["ホールディングス", "hd"],
];
const KO_CO_CORE: [string, string][] = [
  ["삼성", "samsung"], ["한빛", "hanbit"], ["대한", "daehan"], ["미래", "mirae"], ["우리", "woori"], ["서울", "seoul"], ["푸른", "pureun"],
  ["새한", "saehan"], ["동방", "dongbang"], ["태양", "taeyang"],
];
const KO_CO_KIND: [string, string][] = [
  ["전자", "elec"], ["물산", "trading"], ["건설", "const"], ["식품", "foods"], ["시스템", "systems"], ["통신", "telecom"], ["제약", "pharm"],
];
const EN_CO_CORE = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Northwind", "Contoso", "Fabrikam", "Tailspin"];
const EN_CO_KIND = ["Corp", "Inc.", "Ltd", "GmbH", "Group", "Labs", "Trading", "Systems"];
const DEPARTMENTS = {
  ja: ["営業部", "総務部", "経理部", "開発部", "人事部", "企画部", "購買部", "マーケティング部"],
  ko: ["영업팀", "개발팀", "인사팀", "마케팅팀", "구매팀"],
  en: ["Sales", "Engineering", "Purchasing", "Marketing", "Finance", "Operations"],
};
const TITLES = {
  ja: ["部長", "課長", "係長", "主任", "担当", ""],
  ko: ["부장", "과장", "대리", "팀장", "사원"],
  en: ["Manager", "Director", "VP", "Engineer", "Buyer", "Account Executive"],
};
/** Company tags, most common first (picked skewed). */
export const COMPANY_TAGS = [
  "取引先", "見込み客", "customer", "partner", "고객", "VIP", "展示会2025", "supplier", "要フォロー", "파트너", "prospect",
  "代理店", "reseller", "잠재고객", "保守契約", "請求先", "press", "investor", "採用候補", "重要顧客",
];
export const MY_TAGS = ["重要", "後で連絡", "follow-up", "내 고객", "友人"];
const FREE_MAIL = ["gmail.example", "yahoo.example.jp", "naver.example", "outlook.example"];

const toKatakana = (s: string) => s.replace(/[\u3041-\u3096]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 0x60));

/** The four demo members who own contacts, and the Sales team, by id. */
export interface Owners {
  memberIds: string[];
  teamId: string;
}

export interface SeedContact {
  id: string;
  write: ContactWrite;
  accessRange: "ALL" | "MEMBER";
  coEditing: boolean;
  ownerId: string;
  /** Chosen members and teams besides the owner. */
  shares: { memberId?: string; teamId?: string }[];
  companyTags: string[];
  /** The owner's own tags. */
  myTags: string[];
  /** Set for contacts added from a LINE room: the LINE user's id and display name. */
  line?: { lineUserId: string; userId: string; displayName: string };
  version: number;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
}

const DAY = 86_400_000;

/** The `i`-th contact of the stream (call in order: the PRNG state carries over). */
export function makeContact(r: Prng, owners: Owners, anchor: number): SeedContact {
  const id = r.uuid();
  const kind = r.next();
  const lang: "ja" | "ko" | "en" = kind < 0.45 ? "ja" : kind < 0.7 ? "ko" : "en";
  let lastName: string, firstName: string, phoneticLast = "", phoneticFirst = "", romaLast: string, romaFirst: string;
  if (lang === "ja") {
    const [l, lr, lrom] = r.pickSkewed(JA_LAST);
    const [f, fr, from] = r.pick(JA_FIRST);
    const katakana = r.chance(0.6);
    [lastName, firstName, romaLast, romaFirst] = [l, f, lrom, from];
    if (r.chance(0.85)) [phoneticLast, phoneticFirst] = katakana ? [toKatakana(lr), toKatakana(fr)] : [lr, fr];
  } else if (lang === "ko") {
    const [l, lrom] = r.pickSkewed(KO_LAST);
    const [a, arom] = r.pick(KO_SYLLABLE);
    const [b, brom] = r.pick(KO_SYLLABLE);
    [lastName, firstName, romaLast, romaFirst] = [l, a + b, lrom, arom + brom];
  } else {
    [lastName, firstName] = [r.pickSkewed(EN_LAST), r.pick(EN_FIRST)];
    [romaLast, romaFirst] = [lastName.toLowerCase().replace("ü", "ue"), firstName.toLowerCase()];
  }

  let company: { name: string; slug: string } | undefined;
  if (r.chance(0.7)) {
    if (lang === "ja") {
      const [c, cs] = r.pick(JA_CO_CORE);
      const [k, ks] = r.pick(JA_CO_KIND);
      company = { name: r.chance(0.5) ? `株式会社${c}${k}` : `${c}${k}株式会社`, slug: `${cs}-${ks}.example.jp` };
    } else if (lang === "ko") {
      const [c, cs] = r.pick(KO_CO_CORE);
      const [k, ks] = r.pick(KO_CO_KIND);
      company = { name: r.chance(0.3) ? `(주)${c}${k}` : `${c}${k}`, slug: `${cs}${ks}.example.kr` };
    } else {
      const c = r.pick(EN_CO_CORE);
      company = { name: `${c} ${r.pick(EN_CO_KIND)}`, slug: `${c.toLowerCase()}.example.com` };
    }
  }

  const phone = () =>
    lang === "ja"
      ? r.chance(0.6) ? `090-${r.digits(4)}-${r.digits(4)}` : `+81 3-${r.digits(4)}-${r.digits(4)}`
      : lang === "ko"
        ? r.chance(0.6) ? `010-${r.digits(4)}-${r.digits(4)}` : `+82 2-${r.digits(3)}-${r.digits(4)}`
        : `(${r.int(800) + 200}) 555-${r.digits(4)}`;
  const local = `${romaFirst}.${romaLast}${r.chance(0.3) ? r.int(100) : ""}`;
  const body: CreateContactInput = {
    contactName: {
      lastName,
      firstName,
      phoneticLastName: phoneticLast,
      phoneticFirstName: phoneticFirst,
      nickName: r.chance(0.15) ? (lang === "en" ? romaFirst.slice(0, 4) : firstName) : "",
    },
    emails: r.chance(0.85) ? [{ type: "WORK", email: `${local}@${company?.slug ?? r.pick(FREE_MAIL)}`, primary: true }] : [],
    telephones: [],
    organizations: company ? [{ name: company.name, department: r.chance(0.7) ? r.pick(DEPARTMENTS[lang]) : "", title: r.chance(0.6) ? r.pick(TITLES[lang]) : "" }] : [],
    addresses: r.chance(0.2)
      ? [{ type: "WORK", country: lang === "ja" ? "日本" : lang === "ko" ? "대한민국" : "USA", postalCode: r.digits(5), region: "", locality: "", street: `${r.int(999) + 1}`, primary: true }]
      : [],
    websites: company && r.chance(0.05) ? [{ type: "WORK", url: `https://${company.slug}/` }] : [],
    memo: r.chance(0.1) ? (lang === "ja" ? "展示会で名刺交換。来期の見積もりを検討中。" : lang === "ko" ? "전시회에서 만남. 다음 분기 견적 검토 중." : "Met at the trade show; follow up on the Q3 quote.") : "",
  };
  const phones = r.chance(0.8) ? (r.chance(0.2) ? 2 : 1) : 0;
  for (let i = 0; i < phones; i++) body.telephones!.push({ type: i === 0 ? "MOBILE" : "WORK", telephone: phone(), primary: i === 0 });
  // A contact typed in must be reachable (the service's rule): give it a phone when it has no e-mail.
  if (body.emails!.length === 0 && body.telephones!.length === 0) body.telephones!.push({ type: "MOBILE", telephone: phone(), primary: true });

  const ownerId = owners.memberIds[r.pickSkewed([1, 2, 3, 0])]!;
  // ~1 % came from a LINE room: name = nickname = the LINE display name, nothing else (DESIGN §2.6).
  const fromLine = r.chance(0.01);
  const lineName = `${lastName}${lang === "en" ? " " : ""}${firstName}`;
  const parsed = fromLine
    ? { ...EMPTY_CONTACT, contactName: { ...EMPTY_CONTACT.contactName, lastName: lineName, nickName: lineName } }
    : mergeFields(EMPTY_CONTACT, CreateContactBody.parse(body));

  const accessRange = r.chance(0.35) ? "ALL" : "MEMBER";
  const shares: SeedContact["shares"] = [];
  if (accessRange === "MEMBER") {
    if (r.chance(0.15)) shares.push({ teamId: owners.teamId });
    if (r.chance(0.1)) {
      const other = r.pick(owners.memberIds);
      if (other !== ownerId) shares.push({ memberId: other });
    }
  }
  const companyTags: string[] = [];
  for (let n = r.chance(0.6) ? r.int(3) + 1 : 0; n > 0; n--) {
    const t = r.pickSkewed(COMPANY_TAGS);
    if (!companyTags.includes(t)) companyTags.push(t);
  }
  const myTags = r.chance(0.1) ? [r.pick(MY_TAGS)] : [];
  const createdAt = new Date(anchor - r.int(3 * 365) * DAY - r.int(DAY));
  const edited = r.chance(0.4);
  const updatedAt = edited ? new Date(Math.min(anchor, createdAt.getTime() + r.int(400) * DAY + r.int(DAY))) : createdAt;
  // Within the default 30-day retention, so the purge sweep leaves them in the Trash.
  const trashedAt = r.chance(0.02) ? Math.max(anchor - r.int(20) * DAY - r.int(DAY), updatedAt.getTime()) : undefined;
  const deletedAt = trashedAt === undefined ? null : new Date(trashedAt);
  return {
    id,
    write: toWrite(parsed),
    accessRange,
    coEditing: r.chance(0.2),
    ownerId,
    shares,
    companyTags,
    myTags,
    ...(fromLine && { line: { lineUserId: r.uuid(), userId: `U${r.uuid().replace(/-/g, "")}`, displayName: lineName } }),
    version: 1 + (edited ? r.int(5) + 1 : 0) + (deletedAt ? 1 : 0),
    createdAt,
    // Deleting sets updated_at too (repository.setDeleted).
    updatedAt: deletedAt ?? updatedAt,
    deletedAt,
  };
}
