import { EventStore1764115200000 } from './1764115200000-event-store';

/** Every migration, oldest first. A new one is added here in the same commit as its file. */
export const migrations = [EventStore1764115200000];
