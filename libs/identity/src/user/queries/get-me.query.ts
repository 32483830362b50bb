import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { UserView } from '../../login/login-result';
import { maskPhone } from '../../shared/contact';
import { NotFoundError } from '../../shared/errors';
import { IdentityReadModels } from '../../shared/read-models';
import type { Channel } from '../../shared/roles';
import { userView } from '../../session/session-issuer';

export type MeView = UserView & { phone: string | null; twoFactorChannel: Channel };

export class GetMeQuery extends Query<MeView> {
  constructor(readonly userId: string) {
    super();
  }
}

/** The signed-in user, phone masked. */
@QueryHandler(GetMeQuery)
export class GetMeHandler implements IQueryHandler<GetMeQuery, MeView> {
  constructor(private readonly read: IdentityReadModels) {}

  async execute(query: GetMeQuery): Promise<MeView> {
    const user = await this.read.userById(query.userId);
    if (!user) throw new NotFoundError();
    return { ...userView(user), phone: user.phone ? maskPhone(user.phone) : null, twoFactorChannel: user.twoFactorChannel };
  }
}
