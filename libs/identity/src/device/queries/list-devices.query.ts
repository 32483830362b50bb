import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { Clock } from '@latchkey/event-store';
import { IdentityReadModels } from '../../shared/read-models';

export interface DeviceView {
  id: string;
  name: string | null;
  userAgent: string | null;
  ip: string | null;
  authorizedAt: string;
  lastUsedAt: string | null;
  expiresAt: string;
}

export class ListDevicesQuery extends Query<DeviceView[]> {
  constructor(readonly userId: string) {
    super();
  }
}

/** The user's trusted devices: those that currently skip the code. */
@QueryHandler(ListDevicesQuery)
export class ListDevicesHandler implements IQueryHandler<ListDevicesQuery, DeviceView[]> {
  constructor(
    private readonly read: IdentityReadModels,
    private readonly clock: Clock,
  ) {}

  async execute(query: ListDevicesQuery): Promise<DeviceView[]> {
    const rows = await this.read.activeDevices(query.userId, this.clock.now());
    return rows.map((d) => ({
      id: d.id,
      name: d.name,
      userAgent: d.userAgent,
      ip: d.ip,
      authorizedAt: d.authorizedAt.toISOString(),
      lastUsedAt: d.lastUsedAt?.toISOString() ?? null,
      expiresAt: d.expiresAt.toISOString(),
    }));
  }
}
