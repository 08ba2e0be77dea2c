/**
 * Client matrix, group part: kafka-python 2.0.2: subscribe in a group,
 * commit, reopen without redelivery. kafka-python 2.0.2 has no idempotent
 * producer (enable_idempotence arrived in 2.1), so that part does not run.
 */
import { pythonGroupMatrix } from './helpers/python-groups.js';

pythonGroupMatrix('kafka-python 2.0.2: groups', 'kafka_python_client.py', 'kafka-python', { idempotent: false });
