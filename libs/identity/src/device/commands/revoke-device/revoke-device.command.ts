import { Command } from '@nestjs/cqrs';

export class RevokeDeviceCommand extends Command<void> {
  constructor(
    readonly userId: string,
    readonly deviceId: string,
    readonly by: 'user' | 'admin',
  ) {
    super();
  }
}
