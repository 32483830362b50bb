import { Module } from '@nestjs/common';
import { IdentityModule } from '@latchkey/identity';
import { AuthModule } from '../auth/auth.module';
import { AdminGuard } from './admin.guard';
import { AdminUsersController } from './admin-users.controller';

@Module({
  imports: [AuthModule, IdentityModule],
  controllers: [AdminUsersController],
  providers: [AdminGuard],
})
export class AdminModule {}
