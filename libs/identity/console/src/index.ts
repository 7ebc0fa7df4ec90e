import PeopleIcon from '@mui/icons-material/People';
import { defineConsolePlugin } from '@bulwark/platform-console';
import { UserList, usersData } from './users';

export const identityConsolePlugin = defineConsolePlugin({
  name: 'identity',
  resources: [
    {
      name: 'users',
      label: 'People',
      icon: PeopleIcon,
      list: UserList,
      recordRepresentation: 'name',
      access: { list: 'USERS_READ' },
      data: usersData,
    },
  ],
});
