const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Resource ids are UUIDs; anything else names nothing, and is answered as not found before any SQL. */
export const isUuid = (value: string) => UUID.test(value);
