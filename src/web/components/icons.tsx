// Small inline icons (no icon font to load); always decorative, the text beside them names the item.
const paths = {
  message: "M4 5h16v11H8l-4 4z",
  contacts: "M5 3h14v18H5zM12 11a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5zm-4 6c0-2.2 1.8-3.5 4-3.5s4 1.3 4 3.5",
  admin: "M12 3l8 3v6c0 4.5-3.4 8.2-8 9-4.6-.8-8-4.5-8-9V6z",
  me: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 12a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm-5.5 6c1-2.5 3-3.5 5.5-3.5s4.5 1 5.5 3.5",
} as const;

export function Icon({ name }: { name: keyof typeof paths }) {
  return (
    <svg className="icon" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
      <path d={paths[name]} fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinejoin="round" />
    </svg>
  );
}
