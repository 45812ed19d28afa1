import { createContext, useContext } from "react";
import type { Me } from "../../../shared/directory.ts";

/** The signed-in member, provided by the shell once /me has loaded, so pages never see "no one". */
export const SessionContext = createContext<Me | null>(null);

export function useSession(): Me {
  const me = useContext(SessionContext);
  if (!me) throw new Error("useSession() is only available inside the signed-in shell");
  return me;
}
