import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminQueries } from '@latchkey/identity';
import { RequestValidationError } from '@latchkey/platform';
import { AccessTokenGuard } from '../auth/access-token/access-token.guard';
import { CurrentPrincipal, type Principal } from '../auth/access-token/principal';
import { ApiProblems } from '../auth/openapi';
import { AdminGuard } from './admin.guard';
import { AuditQuery } from './admin.dto';
import { AuditPageDoc } from './admin.docs';

export interface AuditItem {
  id: string;
  type: string;
  occurredAt: string;
  userId: string | null;
  actor: { type: string; id: string | null };
  ip: string | null;
  data: Record<string, unknown>;
}

/** Cursors are opaque to clients: the position of the last item, versioned so the format can change. */
export function encodeCursor(position: string): string {
  return Buffer.from(`a1:${position}`).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^a1:(\d{1,18})$/.exec(decoded);
  if (!match) throw new RequestValidationError([{ field: 'cursor', message: 'cursor must be the nextCursor of an earlier page' }]);
  return Number(match[1]);
}

@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(AccessTokenGuard, AdminGuard)
@Controller('admin/audit')
export class AdminAuditController {
  constructor(private readonly queries: AdminQueries) {}

  @Get()
  @ApiOperation({
    summary: "Your account's events, newest first, filtered by type, user and time, a page at a time",
    description: 'Keyset pagination: pass nextCursor back as cursor; pages stay stable while new events arrive. Served from the audit projection.',
  })
  @ApiOkResponse({ type: AuditPageDoc })
  @ApiProblems(400, 401, 403)
  async audit(@CurrentPrincipal() admin: Principal, @Query() query: AuditQuery): Promise<{ items: AuditItem[]; nextCursor: string | null }> {
    const limit = query.limit ?? 50;
    const [from, to] = [instant('from', query.from), instant('to', query.to)];
    // A range that ends before it starts is a mistake in the request, not an empty page.
    if (from && to && to < from) throw new RequestValidationError([{ field: 'to', message: 'to must not be before from' }]);
    const rows = await this.queries.audit(
      admin.accountId,
      {
        type: query.type,
        userId: query.userId,
        from,
        to,
        before: query.cursor ? decodeCursor(query.cursor) : undefined,
      },
      limit + 1,
    );
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => ({ id: r.id, type: r.type, occurredAt: r.occurredAt.toISOString(), userId: r.userId, actor: r.actor, ip: r.ip, data: r.data })),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].position) : null,
    };
  }
}

/**
 * A query's date-time as a Date. ISO 8601 has forms (week dates `2024-W01`, ordinal dates
 * `2024-123`) that pass `IsISO8601` but that `Date` cannot read, and years PostgreSQL cannot store.
 */
function instant(field: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 1 || year > 9999) {
    throw new RequestValidationError([{ field, message: `${field} must be a date-time such as 2026-11-26T10:00:00Z` }]);
  }
  return date;
}
