/** The store as React context: components read slices with `useApp(selector)`. */
import { createContext, useContext } from 'react';
import { useAppStore, type AppState, type AppStore } from '../store/store';

export const StoreContext = createContext<AppStore | null>(null);

export function useAppStoreApi(): AppStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('App components must be rendered inside <App store={…}>');
  return store;
}

export function useApp<T>(selector: (s: AppState) => T): T {
  return useAppStore(useAppStoreApi(), selector);
}
