import type { Event, Selection } from '@ludic/contracts';
import { createContext, useContext, useMemo, useState, type ReactNode } from 'react';

/** One pick: the event as shown and the odds the player saw (the server re-checks them). */
export interface Pick {
  event: Event;
  selection: Selection;
  odds: string;
}

interface Slip {
  pick: Pick | null;
  choose(pick: Pick): void;
  setOdds(odds: string): void;
  clear(): void;
}

const SlipContext = createContext<Slip | null>(null);

export function SlipProvider({ children }: { children: ReactNode }) {
  const [pick, setPick] = useState<Pick | null>(null);
  const value = useMemo<Slip>(
    () => ({
      pick,
      choose: setPick,
      setOdds: (odds) => setPick((current) => (current ? { ...current, odds } : current)),
      clear: () => setPick(null),
    }),
    [pick],
  );
  return <SlipContext.Provider value={value}>{children}</SlipContext.Provider>;
}

export function useSlip(): Slip {
  const context = useContext(SlipContext);
  if (!context) throw new Error('useSlip outside SlipProvider');
  return context;
}
