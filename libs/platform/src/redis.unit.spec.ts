import { EventEmitter } from 'node:events';
import { RedisErrorReporter } from './redis';

function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
}

describe('RedisErrorReporter', () => {
  it('logs one warning per kind of error per interval, for all the connections it watches', () => {
    let now = 0;
    const warnings: string[] = [];
    const reporter = new RedisErrorReporter('delivery queues', { warn: (m: string) => warnings.push(m), log: () => undefined }, 30_000, () => now);
    const connections = [new EventEmitter(), new EventEmitter(), new EventEmitter()];
    for (const connection of connections) reporter.watch(connection);

    for (let tick = 0; tick < 100; tick++, now += 50) for (const connection of connections) connection.emit('error', refused());
    expect(warnings).toEqual(['delivery queues: Redis unreachable (connect ECONNREFUSED 127.0.0.1:6379); retrying until it answers (repeated at most every 30 s)']);

    connections[0].emit('error', new Error('Connection is closed.'));
    connections[1].emit('error', new Error('ERR unknown command'));
    expect(warnings.slice(1)).toEqual([
      'delivery queues: Redis unreachable (Connection is closed.); retrying until it answers (repeated at most every 30 s)',
      'delivery queues: Redis error (ERR unknown command) (repeated at most every 30 s)',
    ]);

    now += 30_000;
    connections[2].emit('error', refused());
    expect(warnings).toHaveLength(4);
  });

  it('says once when a watched client is ready again, and reports the next outage at once', () => {
    const warnings: string[] = [];
    const infos: string[] = [];
    const reporter = new RedisErrorReporter('delivery queues', { warn: (m: string) => warnings.push(m), log: (m: string) => infos.push(m) }, 30_000, () => 0);
    const client = new EventEmitter();
    reporter.watchClient(client as never);
    client.emit('ready');
    expect(infos).toEqual([]);
    client.emit('error', refused());
    client.emit('ready');
    client.emit('ready');
    expect(infos).toEqual(['delivery queues: Redis reachable again']);
    client.emit('error', refused());
    expect(warnings).toHaveLength(2);
  });
});
